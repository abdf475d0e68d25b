//! Embedding brainstream as a library: build a graph in code (no file), run
//! it, and read the result back — the Reduced Wong-Wang network on TVB's
//! 76-region connectome, recorded raw and as a 1 ms temporal average.
//!
//! ```sh
//! cargo run --release --example embed_rww -- out_embed
//! ```

use std::collections::BTreeMap;

use brainstream::runtime::graph::{
    ActorDesc, EdgeDesc, GraphDesc, Scheme, SimulationDesc, Transport,
};
use brainstream::{build_graph, run_graph, RunOptions};

fn actor(kind: &str, params: &[(&str, toml::Value)]) -> ActorDesc {
    ActorDesc {
        kind: kind.into(),
        process: None,
        params: params
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    }
}

fn edge(from: &str, to: &str) -> EdgeDesc {
    EdgeDesc {
        from: from.into(),
        to: to.into(),
        delay_ms: 0.0,
        transport: Transport::Channel,
        endpoint: None,
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "out_embed".into());
    let mut coupling = toml::Table::new();
    coupling.insert("a".into(), 0.0042.into());
    let mut actors = BTreeMap::new();
    actors.insert(
        "brain".to_string(),
        actor(
            "mean_field",
            &[
                ("model", "ReducedWongWang".into()),
                ("coupling", "Linear".into()),
                ("coupling_params", toml::Value::Table(coupling)),
                ("initial_conditions", "golden".into()),
            ],
        ),
    );
    actors.insert("raw".to_string(), actor("hdf5_recorder", &[]));
    actors.insert(
        "tavg".to_string(),
        actor("temporal_average", &[("period_ms", 1.0.into())]),
    );
    actors.insert("tavg_rec".to_string(), actor("hdf5_recorder", &[]));
    let desc = GraphDesc {
        simulation: SimulationDesc {
            dt_ms: 0.1,
            duration_ms: 500.0,
            seed: 1,
            scheme: Scheme::Parallel,
            sync_ms: Some(50.0),
            strict_ranges: false,
        },
        actors,
        edges: vec![
            edge("brain.state", "raw.input"),
            edge("brain.state", "tavg.input"),
            edge("tavg.output", "tavg_rec.input"),
        ],
    };
    let graph = build_graph(desc)?;
    let summary = run_graph(
        graph,
        &RunOptions {
            out_dir: out.into(),
            ..Default::default()
        },
        |_| {},
    )?;
    println!(
        "simulated {} ms in {:.3} s; files: {:?}",
        summary.simulated_ms,
        summary.wall.as_secs_f64(),
        summary.files
    );
    Ok(())
}
