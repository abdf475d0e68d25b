//! Per-window cost of an edge by transport (issue 5): the `edges` bench's
//! source → gain graph (76 nodes, one step per window, the smallest
//! window) with its edge over an in-process channel, shared memory and
//! ZeroMQ (`ipc://`; wire format, connector threads); and a bare ZeroMQ ping-pong
//! of encoded windows: a 76-region state window and 100 000 spike events
//! (encode, send, receive, decode).
//!
//! `cargo bench --bench transports` (add `-- --quick` for one repetition).

use std::sync::Arc;
use std::time::Instant;

use brainstream::runtime::graph::descriptor::Transport;
use brainstream::runtime::wire::{self, Body, Limits};
use brainstream::runtime::{Series, SeriesMeta, Spikes};
use brainstream::{load_graph, run_graph, RunOptions};

fn wall(transport: Transport, windows: usize) -> f64 {
    let path = std::env::temp_dir().join("bs_transports.toml");
    std::fs::write(
        &path,
        format!(
            "[simulation]\ndt_ms = 0.1\nduration_ms = {}\nsync_ms = 0.1\n\n[actors.src]\nkind = \"linear_ode\"\nn_nodes = 76\n\n[actors.g0]\nkind = \"gain\"\nscale = 1.0\n\n[[edges]]\nfrom = \"src.output\"\nto = \"g0.input\"\n",
            windows as f64 * 0.1
        ),
    )
    .unwrap();
    let g = load_graph(&path, vec![]).unwrap();
    let t = Instant::now();
    run_graph(
        g,
        &RunOptions {
            out_dir: std::env::temp_dir().join("bs_transports"),
            transport: Some(transport),
            ..Default::default()
        },
        |_| {},
    )
    .unwrap();
    t.elapsed().as_secs_f64()
}

/// Round trips of `msg` over a ZeroMQ PAIR over ipc, decoded at each end;
/// returns seconds per one-way trip.
fn ping_pong(msg: Vec<u8>, meta: Option<Arc<SeriesMeta>>, n: usize) -> f64 {
    let ctx = zmq::Context::new();
    let ep = format!(
        "ipc://{}/bs-bench-{}.sock",
        std::env::temp_dir().display(),
        std::process::id()
    );
    let a = ctx.socket(zmq::PAIR).unwrap();
    a.bind(&ep).unwrap();
    let m2 = meta.clone();
    let ctx2 = ctx.clone();
    let ep2 = ep.clone();
    let h = std::thread::spawn(move || {
        let b = ctx2.socket(zmq::PAIR).unwrap();
        b.connect(&ep2).unwrap();
        for _ in 0..n {
            let bytes = b.recv_bytes(0).unwrap();
            let m = wire::decode("bench", &bytes, &Limits::default(), m2.as_ref()).unwrap();
            assert!(matches!(m.body, Body::Window(_)));
            b.send(bytes, 0).unwrap();
        }
    });
    let t = Instant::now();
    for _ in 0..n {
        a.send(&msg, 0).unwrap();
        let back = a.recv_bytes(0).unwrap();
        let m = wire::decode("bench", &back, &Limits::default(), meta.as_ref()).unwrap();
        assert!(matches!(m.body, Body::Window(_)));
    }
    let dt = t.elapsed().as_secs_f64();
    h.join().unwrap();
    dt / (2 * n) as f64
}

fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let quick = std::env::args().any(|a| a == "--quick");
    let reps = if quick || !bench { 1 } else { 5 };
    let windows = if bench { 10_000 } else { 300 };
    let best = |t: Transport| {
        (0..reps)
            .map(|_| wall(t, windows))
            .fold(f64::INFINITY, f64::min)
    };
    let (tc, ts, tz) = (
        best(Transport::Channel),
        best(Transport::Shm),
        best(Transport::Zmq),
    );
    let us = |t: f64| t / windows as f64 * 1e6;
    println!("source → gain, 76 nodes, {windows} windows of one step:");
    println!("  channel: {:.2} µs per window", us(tc));
    println!(
        "  shm:     {:.2} µs per window (+{:.2} µs for the shared-memory edge)",
        us(ts),
        us(ts - tc)
    );
    println!(
        "  zmq ipc: {:.2} µs per window (+{:.2} µs for the ZeroMQ edge)",
        us(tz),
        us(tz - tc)
    );

    let meta = Arc::new(SeriesMeta::new(
        vec!["E".into()],
        (0..76).map(|i| format!("r{i}")).collect(),
        "",
    ));
    let series = Series {
        stamps: vec![1],
        times_ms: vec![0.1],
        data: ndarray::Array3::from_elem((1, 1, 76), 0.5),
        meta: meta.clone(),
    };
    let n = if bench { 20_000 } else { 200 };
    let t = (0..reps)
        .map(|_| ping_pong(wire::encode_series(0, 0, &series), Some(meta.clone()), n))
        .fold(f64::INFINITY, f64::min);
    println!("bare ZeroMQ ipc, one 76-region state window: {:.2} µs one way (encode + send + receive + decode)", t * 1e6);
    let t = (0..reps)
        .map(|_| {
            brainstream::runtime::transport::shm::ping_pong(
                &wire::encode_series(0, 0, &series),
                Some(meta.clone()),
                n.max(200),
            )
        })
        .fold(f64::INFINITY, f64::min);
    println!("bare shared memory, one 76-region state window: {:.2} µs one way (copy in + copy out + decode)", t * 1e6);
    let e = 100_000;
    let spikes = Spikes {
        senders: (0..e as u32).collect(),
        times_ms: (0..e).map(|k| k as f64 * 1e-3).collect(),
        stamps: (0..e as u64).collect(),
    };
    let n = if bench { 200 } else { 5 };
    let enc = wire::encode_spikes(0, 0, 0, &spikes);
    let t = (0..reps)
        .map(|_| ping_pong(enc.clone(), None, n))
        .fold(f64::INFINITY, f64::min);
    println!(
        "bare ZeroMQ ipc, 100 000 spike events ({} MB): {:.2} ms one way, {:.1} million events/s",
        enc.len() as f64 / 1e6,
        t * 1e3,
        e as f64 / t / 1e6
    );
    let t = (0..reps)
        .map(|_| brainstream::runtime::transport::shm::ping_pong(&enc, None, n))
        .fold(f64::INFINITY, f64::min);
    println!(
        "bare shared memory, 100 000 spike events: {:.2} ms per message (and a 64-byte acknowledgement), {:.1} million events/s",
        t * 1e3,
        e as f64 / t / 1e6
    );
}
