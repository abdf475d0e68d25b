//! Exchange overhead of the in-process co-simulation: the share of wall time
//! not spent in actors' computation, with the serial scheme (one actor at a
//! time, so wall = Σ compute + exchange and scheduling), for
//! graphs/cosim_wc76_spiking.toml (1 s, 1 ms windows) without its recorders
//! and plots, best of 3.
//!
//! `cargo bench --bench exchange`

use brainstream::{build_graph, run_graph, GraphDesc, GraphSource, RunOptions};

/// The co-simulation graph without its recorders and plots.
fn computing_graph(duration_ms: &str) -> GraphDesc {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("graphs/cosim_wc76_spiking.toml");
    let source = GraphSource::from_file(&path).unwrap().with_overrides(vec![
        format!("simulation.duration_ms={duration_ms}"),
        "simulation.scheme=\"serial\"".into(),
    ]);
    let mut desc = source.parse().unwrap();
    desc.actors
        .retain(|_, a| !matches!(a.kind.as_str(), "hdf5_recorder" | "png_plot"));
    let kept = |end: &str| {
        desc.actors
            .contains_key(end.split('.').next().unwrap_or(""))
    };
    let edges: Vec<_> = desc
        .edges
        .iter()
        .filter(|e| kept(&e.from) && kept(&e.to))
        .cloned()
        .collect();
    desc.edges = edges;
    desc
}

fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let dur = if bench { "1000" } else { "20" };
    let mut runs = vec![];
    for _ in 0..if bench { 3 } else { 1 } {
        let g = build_graph(computing_graph(dur)).unwrap();
        let dir = std::env::temp_dir().join("bs_exchange");
        let s = run_graph(
            g,
            &RunOptions {
                out_dir: dir,
                ..Default::default()
            },
            |_| {},
        )
        .unwrap();
        runs.push(s);
    }
    let best = runs.iter().min_by(|a, b| a.wall.cmp(&b.wall)).unwrap();
    let wall = best.wall.as_secs_f64();
    let busy: f64 = best.busy.iter().map(|b| b.1.as_secs_f64()).sum();
    println!(
        "wall {wall:.3} s, in actor steps {busy:.3} s, exchange and scheduling {:.3} s = {:.1} % of wall",
        wall - busy,
        100.0 * (wall - busy) / wall
    );
    for (n, b) in &best.busy {
        println!("  {n:<10} {:.3} s", b.as_secs_f64());
    }
}
