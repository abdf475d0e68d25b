//! The `surface` kind on Vulkan (`backend = "vulkan"`) against its CPU
//! stepper: on a small flat mesh (576 vertices, every region of the
//! 76-region connectome given some, a Gaussian local connectivity) every
//! vertex's V and W and every region's averages after every step, for Heun
//! with Linear coupling, Euler with Difference coupling and a surface
//! stimulus, and Kuramoto coupling (a stimulus actor into the `stimulus`
//! input is refused on Vulkan); and the shipped surface_g2d graph's
//! first 20 ms on the 16k cortex against tvb-library 2.10's run. Runs on
//! any Vulkan device (lavapipe in CI); without one it says so and passes,
//! unless BRAINSTREAM_REQUIRE_VULKAN is set (as CI sets it).

use super::common::*;
use std::path::Path;

/// CRC-32 (IEEE), for the zip below.
fn crc32(data: &[u8]) -> u32 {
    let mut c = 0xffff_ffffu32;
    for &b in data {
        c ^= b as u32;
        for _ in 0..8 {
            c = if c & 1 != 0 {
                (c >> 1) ^ 0xedb8_8320
            } else {
                c >> 1
            };
        }
    }
    !c
}

/// A zip of `files` stored uncompressed (what a TVB surface zip holds).
fn stored_zip(files: &[(&str, String)]) -> Vec<u8> {
    let (mut out, mut central) = (vec![], vec![]);
    for (name, text) in files {
        let (crc, len, at) = (crc32(text.as_bytes()), text.len() as u32, out.len() as u32);
        let fixed = |b: &mut Vec<u8>| {
            b.extend(20u16.to_le_bytes()); // version needed
            b.extend([0u8; 8]); // flags, method (stored), time, date
            b.extend(crc.to_le_bytes());
            b.extend(len.to_le_bytes());
            b.extend(len.to_le_bytes());
            b.extend((name.len() as u16).to_le_bytes());
            b.extend(0u16.to_le_bytes()); // extra
        };
        out.extend(0x0403_4b50u32.to_le_bytes());
        fixed(&mut out);
        out.extend(name.as_bytes());
        out.extend(text.as_bytes());
        central.extend(0x0201_4b50u32.to_le_bytes());
        central.extend(20u16.to_le_bytes()); // version made by
        fixed(&mut central);
        central.extend([0u8; 6]); // comment, disk, internal attributes
        central.extend(0u32.to_le_bytes()); // external attributes
        central.extend(at.to_le_bytes());
        central.extend(name.as_bytes());
    }
    let (cd_at, cd_len) = (out.len() as u32, central.len() as u32);
    out.extend(central);
    out.extend(0x0605_4b50u32.to_le_bytes());
    out.extend([0u8; 4]);
    out.extend((files.len() as u16).to_le_bytes());
    out.extend((files.len() as u16).to_le_bytes());
    out.extend(cd_len.to_le_bytes());
    out.extend(cd_at.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out
}

/// A flat n × n grid, 1.5 mm apart, as a TVB surface zip in `dir`, with a
/// region mapping giving vertex v region v mod 76.
fn small_mesh(dir: &Path, n: usize) {
    let mut vertices = String::new();
    for j in 0..n {
        for i in 0..n {
            vertices.push_str(&format!("{} {} 0.0\n", i as f64 * 1.5, j as f64 * 1.5));
        }
    }
    let mut triangles = String::new();
    for j in 0..n - 1 {
        for i in 0..n - 1 {
            let a = j * n + i;
            triangles.push_str(&format!("{} {} {}\n", a, a + 1, a + n));
            triangles.push_str(&format!("{} {} {}\n", a + 1, a + n + 1, a + n));
        }
    }
    let zip = stored_zip(&[("vertices.txt", vertices), ("triangles.txt", triangles)]);
    std::fs::write(dir.join("grid.zip"), zip).unwrap();
    let rmap: String = (0..n * n).map(|v| format!("{}\n", v % 76)).collect();
    std::fs::write(dir.join("rmap.txt"), rmap).unwrap();
}

/// The small-mesh graph, `extra` added to the surface actor: every vertex
/// and region recorded every step.
fn small_graph(extra: &str) -> String {
    format!(
        r#"
[simulation]
dt_ms = 0.1
duration_ms = 60.0

[actors.cortex]
kind = "surface"
surface = "grid.zip"
region_mapping = "rmap.txt"
local_connectivity = {{ equation = "Gaussian", sigma = 2.0, amp = 1.0, cutoff = 6.0 }}
local_coupling_strength = 0.05
model_params = {{ a = 2.0 }}
variables = ["V", "W"]
{extra}

[actors.vrec]
kind = "hdf5_recorder"
file = "vertices.h5"

[actors.rrec]
kind = "hdf5_recorder"
file = "regions.h5"

[[edges]]
from = "cortex.state"
to = "vrec.input"

[[edges]]
from = "cortex.regions"
to = "rrec.input"
"#
    )
}

/// Worst |a − b| of each variable relative to its largest |a| (data laid
/// out sample, variable, node), the worst over the variables.
fn worst_relative(shape: &[usize], a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    let (nv, n) = (shape[1], shape[2]);
    (0..nv)
        .map(|k| {
            let vals = |x: &[f64]| -> Vec<f64> {
                x.chunks(nv * n)
                    .flat_map(|s| s[k * n..(k + 1) * n].to_vec())
                    .collect()
            };
            let (p, q) = (vals(a), vals(b));
            let scale = p.iter().fold(0.0f64, |m, x| m.max(x.abs())).max(1e-300);
            p.iter()
                .zip(&q)
                .fold(0.0f64, |m, (x, y)| m.max((x - y).abs()))
                / scale
        })
        .fold(0.0, f64::max)
}

/// A recording's shape and data.
type Recorded = (Vec<usize>, Vec<f64>);

/// Runs graph text `g` in `dir` (beside the mesh) with `set` into
/// `dir/tag`: (shape, data) of vertices.h5 and regions.h5.
fn run_small(dir: &Path, tag: &str, g: &str, set: &[&str]) -> Result<[Recorded; 2], String> {
    let file = write(dir, &format!("{tag}.toml"), g);
    let out = dir.join(tag);
    run(&file, &out, set).map_err(|e| e.to_string())?;
    let (vs, vd, _) = read_h5(&out.join("vertices.h5"));
    let (rs, rd, _) = read_h5(&out.join("regions.h5"));
    Ok([(vs, vd), (rs, rd)])
}

/// Vulkan's vertex and region recordings within 1e-12 of each variable's
/// scale of the CPU stepper's (the same operations in the same order in
/// f64: on lavapipe they agree to the bit), for three configurations; a
/// stimulus that moves the state, so that it is checked.
#[test]
fn a_surface_on_vulkan_is_its_cpu_run() {
    if vulkan_device("the surface on Vulkan").is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    small_mesh(dir.path(), 24);
    let stim = "stimulus = { equation = \"PulseTrain\", equation_params = { T = 10.0, tau = 3.0, amp = 0.5, onset = 2.0 }, spatial = { equation = \"Gaussian\", sigma = 4.0, amp = 1.0 }, focal_vertices = [0, 300] }";
    let cases = [
        ("heun_linear", "coupling_params = { a = 0.0042, b = 0.0 }".to_string()),
        (
            "euler_difference_stim",
            format!("integrator = \"EulerDeterministic\"\ncoupling = \"Difference\"\ncoupling_params = {{ a = 0.05 }}\n{stim}"),
        ),
        ("heun_kuramoto", "coupling = \"Kuramoto\"\ncoupling_params = { a = 0.5 }".to_string()),
    ];
    let mut plain = None;
    for (tag, extra) in cases {
        let g = small_graph(&extra);
        let cpu = run_small(dir.path(), &format!("{tag}_cpu"), &g, &[]).unwrap();
        let vk = run_small(
            dir.path(),
            &format!("{tag}_vk"),
            &g,
            &["actors.cortex.backend=\"vulkan\""],
        )
        .unwrap();
        let mut worst = [0.0; 2];
        for (w, (c, v)) in worst.iter_mut().zip(cpu.iter().zip(&vk)) {
            assert_eq!(c.0, v.0, "{tag}: shapes");
            *w = worst_relative(&c.0, &c.1, &v.1);
        }
        let bits = cpu.iter().zip(&vk).all(|(c, v)| c.1 == v.1);
        eprintln!(
            "surface {tag}: Vulkan vs CPU vertices {:.2e}, regions {:.2e}{}",
            worst[0],
            worst[1],
            if bits { " (bit-identical)" } else { "" }
        );
        assert!(worst[0] <= 1e-12 && worst[1] <= 1e-12, "{tag}: {worst:?}");
        if tag == "euler_difference_stim" {
            let g = small_graph("integrator = \"EulerDeterministic\"\ncoupling = \"Difference\"\ncoupling_params = { a = 0.05 }");
            plain = Some((run_small(dir.path(), "euler_plain", &g, &[]).unwrap(), vk));
        }
    }
    // the stimulus moved the state: it was stepped on the device
    let (p, s) = plain.unwrap();
    let moved = worst_relative(&p[0].0, &p[0].1, &s[0].1);
    assert!(
        moved > 1e-3,
        "the stimulus changed nothing on Vulkan: {moved:e}"
    );
}

/// `backend = "auto"` takes a GPU, not lavapipe: on lavapipe the CPU
/// stepper's bits; a backend that does not exist is refused at its key.
#[test]
fn a_surface_s_backend_auto_and_unknown() {
    let Some(dev) = vulkan_device("a surface's backend = \"auto\"") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    small_mesh(dir.path(), 12);
    let g = small_graph("coupling_params = { a = 0.0042, b = 0.0 }");
    let cpu = run_small(dir.path(), "cpu", &g, &["simulation.duration_ms=5"]).unwrap();
    let auto = run_small(
        dir.path(),
        "auto",
        &g,
        &["simulation.duration_ms=5", "actors.cortex.backend=\"auto\""],
    )
    .unwrap();
    if dev.is_cpu {
        assert!(cpu[0].1 == auto[0].1 && cpu[1].1 == auto[1].1);
    } else {
        assert!(worst_relative(&cpu[0].0, &cpu[0].1, &auto[0].1) <= 1e-12);
    }
    let e = run_small(dir.path(), "bad", &g, &["actors.cortex.backend=\"cuda\""]).unwrap_err();
    assert!(
        e.contains("backend") && e.contains("cuda") && e.contains("cpu, vulkan or auto"),
        "{e}"
    );
}

/// The shipped surface graph on Vulkan (`brainstream run --backend vulkan`
/// sets the surface's backend): its first 20 ms are tvb-library 2.10's run
/// within 1e-13 of each variable's scale, as the CPU stepper's are
/// (surface_graph.rs).
#[test]
fn the_surface_graph_on_vulkan_is_tvb_library_s_run() {
    if vulkan_device("the surface graph on Vulkan").is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let g = root().join("graphs/surface_g2d.toml");
    let mut set: Vec<String> = [
        "simulation.duration_ms=20",
        "actors.cortex.vertex_stride=128",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let more = brainstream::mean_field_backend(&g, &set, "vulkan").unwrap();
    assert_eq!(more, vec!["actors.cortex.backend=vulkan".to_string()]);
    set.extend(more);
    let set: Vec<&str> = set.iter().map(String::as_str).collect();
    run(&g, dir.path(), &set).unwrap();
    let (_, [ev, ew, er], _) = super::surface_graph::against_tvb(dir.path(), "surface_g2d");
    eprintln!("surface graph on Vulkan vs tvb-library: V {ev:.2e}, W {ew:.2e}, region V {er:.2e}");
    assert!(
        ev <= 1e-13 && ew <= 1e-13 && er <= 1e-13,
        "V {ev:e}, W {ew:e}, regions {er:e}"
    );
}
