//! Graphviz DOT output of a graph: actors as boxes labelled with their kind,
//! edges labelled with ports, type and delay.

use crate::graph::validate::ValidGraph;

fn esc(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// DOT text of a validated graph.
pub fn to_dot(g: &ValidGraph) -> String {
    let mut s = String::from("digraph brainstream {\n  rankdir=LR;\n  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\", fontsize=10];\n");
    for a in &g.actors {
        s.push_str(&format!(
            "  \"{}\" [label=\"{}\\n({})\"];\n",
            esc(&a.name),
            esc(&a.name),
            esc(a.kind.name)
        ));
    }
    for e in &g.edges {
        let delay = if e.delay_steps > 0 {
            format!("\\ndelay {} ms", e.delay_steps as f64 * g.dt_ms)
        } else {
            String::new()
        };
        let style = if e.delay_steps > 0 {
            ", style=dashed"
        } else {
            ""
        };
        s.push_str(&format!(
            "  \"{}\" -> \"{}\" [label=\"{} → {}\\n{}{}\"{}];\n",
            esc(&g.actors[e.from].name),
            esc(&g.actors[e.to].name),
            esc(e.from_port),
            esc(e.to_port),
            e.ty,
            delay,
            style
        ));
    }
    s.push_str("}\n");
    s
}
