//! graphs/cosim_jr76_spiking.toml, tvb-multiscale's Jansen-Rit
//! co-simulation (E, Ein, Iin of 100 iaf_cond_alpha neurons in rM1 and
//! lM1), run for 300 ms: its recorders and plots are written, the
//! populations fire within a band around the rates measured over 1 s
//! (docs/cosim.md), and the proxy regions' y0, y1, y2 are the
//! inverse-sigmoid transform of those rates one millisecond later.

use crate::common::*;

fn h5(path: &std::path::Path) -> (Vec<usize>, Vec<f64>) {
    let f = open_h5(path);
    let d = f.dataset("data").unwrap();
    (d.shape(), d.read_raw::<f64>().unwrap())
}

#[test]
fn jansen_rit_with_spiking_regions_runs_and_fires_in_band() {
    let dir = tempfile::tempdir().unwrap();
    run(
        &root().join("graphs/cosim_jr76_spiking.toml"),
        dir.path(),
        &["simulation.duration_ms=300"],
    )
    .unwrap();
    for f in [
        "raw.h5",
        "spikes.h5",
        "rates.h5",
        "potentials.h5",
        "raster.png",
        "rates_plot.png",
        "brain_plot.png",
    ] {
        assert!(dir.path().join(f).is_file(), "{f} not written");
    }
    let steps = 3000;
    let (rs, rates) = h5(&dir.path().join("rates.h5")); // (steps, [E, Ein, Iin], [rM1, lM1], 1)
    let (ps, pot) = h5(&dir.path().join("potentials.h5")); // (steps, [y0, y1, y2], 2, 1)
    let (ws, raw) = h5(&dir.path().join("raw.h5")); // (steps, [y0..y3], 76, 1)
    assert_eq!(rs, vec![steps, 3, 2, 1]);
    assert_eq!(ps, vec![steps, 3, 2, 1]);
    assert_eq!(ws, vec![steps, 4, 76, 1]);
    assert!(rates.iter().chain(&pot).chain(&raw).all(|x| x.is_finite()));
    let rate = |stamp: usize, var: usize, reg: usize| rates[((stamp - 1) * 3 + var) * 2 + reg];
    // mean rates over 100–300 ms (after the transient), per population and region
    let mut means = vec![];
    for (var, pop) in ["E", "Ein", "Iin"].iter().enumerate() {
        for (reg, name) in ["rM1", "lM1"].iter().enumerate() {
            let m = (1001..=steps).map(|k| rate(k, var, reg)).sum::<f64>() / 2000.0;
            means.push((*pop, *name, var, m));
        }
    }
    let text: Vec<String> = means
        .iter()
        .map(|(p, n, _, m)| format!("{p} {n} {m:.1} Hz"))
        .collect();
    eprintln!("cosim_jr76_spiking, 100–300 ms: {}", text.join(", "));
    for (pop, name, var, m) in means {
        // the band: the rates over 1 s (docs/cosim.md: E 27.4, Ein 36.7,
        // Iin 24.4 Hz; tvb-multiscale's example in NEST: 27, 36, 24 Hz)
        // within a factor of about two — the interneurons fire in
        // synchronous volleys every 80–100 ms, so 200 ms hold 2 or 3
        // (measured here: E 33.3, Ein 45.0, Iin 30.0 Hz)
        let band = match var {
            0 => 14.0..55.0,
            1 => 18.0..75.0,
            _ => 12.0..50.0,
        };
        assert!(
            band.contains(&m),
            "{pop} of {name}: {m} Hz outside {band:?}"
        );
    }
    // y = v0 − ln(2·16/clip(0.01·R, 0.1, 16) − 1)/r stays in [v0 − amplitude, v0]
    for (var, (v0, ampl)) in [(1.5, 3.0), (25.0, 10.0), (70.0, 70.0)].iter().enumerate() {
        for k in 1..=steps {
            for reg in 0..2 {
                let y = pot[((k - 1) * 3 + var) * 2 + reg];
                assert!(
                    y >= v0 - ampl - 1e-9 && y <= v0 + 1e-9,
                    "y{var} = {y} of region {reg} at stamp {k}"
                );
            }
        }
    }
    // the proxy regions rM1 (12) and lM1 (50) take y0, y1, y2 stamped k − 10
    // (the 1 ms edge), exactly
    for k in 11..=steps {
        for (reg, node) in [(0, 12), (1, 50)] {
            for var in 0..3 {
                assert_eq!(
                    raw[((k - 1) * 4 + var) * 76 + node],
                    pot[((k - 11) * 3 + var) * 2 + reg],
                    "stamp {k} region {node} y{var}"
                );
            }
        }
    }
    let senders = read_spikes(&dir.path().join("spikes.h5")).1;
    assert!(senders.len() > 1000 && senders.iter().all(|&s| s < 600));
}
