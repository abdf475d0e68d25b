//! Per-window cost of an in-process edge: a 76-node source feeds a chain of
//! `gain` actors, one window per step (the worst case: the smallest window);
//! the cost of one edge is the wall time added per window.
//! Also the raw channel round trip of one window message.
//!
//! `cargo bench --bench edges` (add `-- --quick` for one repetition).

use std::time::Instant;

use brainstream::{load_graph, run_graph, RunOptions};

fn graph(chain: usize, windows: usize) -> String {
    let mut s = format!(
        "[simulation]\ndt_ms = 0.1\nduration_ms = {}\nsync_ms = 0.1\nscheme = \"parallel\"\n\n[actors.src]\nkind = \"linear_ode\"\nn_nodes = 76\n",
        windows as f64 * 0.1
    );
    for k in 0..chain {
        s.push_str(&format!("\n[actors.g{k}]\nkind = \"gain\"\nscale = 1.0\n"));
    }
    if chain > 0 {
        s.push_str("\n[[edges]]\nfrom = \"src.output\"\nto = \"g0.input\"\n");
    }
    for k in 1..chain {
        s.push_str(&format!(
            "\n[[edges]]\nfrom = \"g{}.output\"\nto = \"g{k}.input\"\n",
            k - 1
        ));
    }
    s
}

fn wall(chain: usize, windows: usize) -> f64 {
    let dir = std::env::temp_dir().join(format!("bs_edges_{chain}"));
    let path = dir.with_extension("toml");
    std::fs::write(&path, graph(chain, windows)).unwrap();
    let g = load_graph(&path, vec![]).unwrap();
    let t = Instant::now();
    run_graph(
        g,
        &RunOptions {
            out_dir: dir,
            ..Default::default()
        },
        |_| {},
    )
    .unwrap();
    t.elapsed().as_secs_f64()
}

fn main() {
    // `cargo bench` passes --bench; under `cargo test --all-targets` this is a
    // smoke test with few windows.
    let bench = std::env::args().any(|a| a == "--bench");
    let quick = std::env::args().any(|a| a == "--quick");
    let reps = if quick || !bench { 1 } else { 7 };
    let windows = if bench { 20_000 } else { 500 };
    let best = |c: usize| {
        (0..reps)
            .map(|_| wall(c, windows))
            .fold(f64::INFINITY, f64::min)
    };
    let t0 = best(0);
    let t1 = best(1);
    let t4 = best(4);
    let us = |t: f64| t / windows as f64 * 1e6;
    println!(
        "source alone: {:.2} µs per window (76 nodes, 1 step per window)",
        us(t0)
    );
    println!(
        "source → gain: {:.2} µs per window; one in-process edge + actor adds {:.2} µs per window",
        us(t1),
        us(t1 - t0)
    );
    println!("source → 4 gains: {:.2} µs per window; {:.2} µs per window per extra edge (2 cores, 5 threads)", us(t4), us(t4 - t1) / 3.0);
    // the bare channel: one message (an Arc'd window) there and back
    let (tx, rx) = crossbeam_channel::bounded::<std::sync::Arc<Vec<f64>>>(2);
    let (tx2, rx2) = crossbeam_channel::bounded::<std::sync::Arc<Vec<f64>>>(2);
    let h = std::thread::spawn(move || {
        while let Ok(m) = rx.recv() {
            if tx2.send(m).is_err() {
                break;
            }
        }
    });
    let msg = std::sync::Arc::new(vec![0.0; 76]);
    let n = if bench { 200_000 } else { 1_000 };
    let t = Instant::now();
    for _ in 0..n {
        tx.send(msg.clone()).unwrap();
        rx2.recv().unwrap();
    }
    let rt = t.elapsed().as_secs_f64() / n as f64;
    drop(tx);
    h.join().unwrap();
    println!(
        "bare crossbeam round trip of a 76-value window between two threads: {:.2} µs",
        rt * 1e6
    );
}
