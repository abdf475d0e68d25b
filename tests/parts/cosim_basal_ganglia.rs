//! graphs/cosim_basal_ganglia_izh.toml, tvb-multiscale's basal ganglia
//! scenario (GPe, GPi, STN, thalamus, striatal dSN and iSN of 200
//! izhikevich_hamker neurons each in BG_L, under a linear Reduced
//! Wong-Wang cortex), run for 300 ms: its recorders and plots are
//! written, every population fires within a band around the rates
//! measured over 1 s (docs/cosim.md), the proxy region BG_L's S is the
//! RWW filter of the thalamus' rate 1 ms earlier, exactly; without the
//! cortex's Poisson proxies the striatum is silent, and without the DBS
//! current GPi's volley after 35 ms comes earlier.

use crate::common::*;

/// The populations in the network's order (sorted by name) and their
/// sender ranges: 200 neurons each.
const POPS: [&str; 6] = ["GPe", "GPi", "STN", "Thal", "dSN", "iSN"];

/// Mean rate (Hz) of every population over stamps (lo, hi], and the rates.
fn mean_rates(dir: &std::path::Path, lo: usize, hi: usize) -> ([f64; 6], Vec<f64>) {
    let (shape, r, _) = read_h5(&dir.join("rates.h5"));
    assert_eq!(
        shape[1..],
        [6, 1, 1],
        "rates: [step, population, region, 1]"
    );
    assert!(r.iter().all(|x| x.is_finite() && *x >= 0.0));
    let mut m = [0.0; 6];
    for (p, v) in m.iter_mut().enumerate() {
        *v = (lo + 1..=hi).map(|k| r[(k - 1) * 6 + p]).sum::<f64>() / (hi - lo) as f64;
    }
    (m, r)
}

/// Times of GPi's spikes (senders 200–399) in (from, to) ms.
fn gpi_spikes(dir: &std::path::Path, from: f64, to: f64) -> Vec<f64> {
    let (t, s) = read_spikes(&dir.join("spikes.h5"));
    t.iter()
        .zip(&s)
        .filter(|(t, s)| (200..400).contains(*s) && **t > from && **t < to)
        .map(|(t, _)| *t)
        .collect()
}

#[test]
fn basal_ganglia_izhikevich_runs_and_fires_in_band() {
    let g = root().join("graphs/cosim_basal_ganglia_izh.toml");
    let dir = tempfile::tempdir().unwrap();
    run(&g, dir.path(), &["simulation.duration_ms=300"]).unwrap();
    for f in [
        "raw.h5",
        "spikes.h5",
        "rates.h5",
        "raster.png",
        "gpi_plot.png",
        "stn_plot.png",
        "brain_plot.png",
    ] {
        assert!(dir.path().join(f).is_file(), "{f} not written");
    }
    let steps = 3000;
    let (m, rates) = mean_rates(dir.path(), 1000, steps);
    eprintln!("cosim_basal_ganglia_izh, 100–300 ms, {POPS:?}: {m:.2?} Hz");
    // over 100–1000 ms (docs/cosim.md): GPe 30.0, GPi 36.7, STN 24.5,
    // Thal 17.8, dSN 20.0, iSN 12.7 Hz; GPe, GPi and the thalamus fire in
    // synchronous volleys, so a window holds whole volleys (measured here,
    // 100–300 ms: 40.0, 45.0, 24.7, 10.0, 8.5, 4.8: the cortex, starting
    // from S = 0, drives the striatum up over the first 300 ms)
    let bands = [
        15.0..70.0, // GPe
        15.0..80.0, // GPi
        10.0..50.0, // STN
        4.0..40.0,  // Thal
        2.0..40.0,  // dSN
        1.0..30.0,  // iSN
    ];
    for ((pop, r), band) in POPS.iter().zip(m).zip(bands) {
        assert!(band.contains(&r), "{pop}: {r} Hz outside {band:?}");
    }
    let senders = read_spikes(&dir.path().join("spikes.h5")).1;
    assert!(senders.iter().all(|&s| s < 1200));
    for (p, pop) in POPS.iter().enumerate() {
        let lo = 200 * p as u32;
        assert!(
            senders.iter().any(|s| (lo..lo + 200).contains(s)),
            "no spike of {pop} (senders {lo}..{})",
            lo + 200
        );
    }

    // spiking → TVB: BG_L's S (node 0 of raw.h5, variable S) at stamp k is
    // the RWW S filter (τ = 100 ms, γ = 0.641/1000) of the thalamus' rates
    // up to stamp k − 10 (the 1 ms edge), exactly
    let (ws, raw, _) = read_h5(&dir.path().join("raw.h5"));
    assert_eq!(ws, vec![steps, 1, 2, 1]);
    let (tau, gamma, dt) = (100.0_f64, 0.641 / 1000.0, 0.1);
    let mut s = 0.0_f64;
    for k in 11..=steps {
        let re = rates[(k - 11) * 6 + 3]; // Thal at stamp k − 10
        let ke = 1.0 / tau + gamma * re;
        let inf = gamma * re / ke;
        s = inf + (s - inf) * (-ke * dt).exp();
        assert_eq!(raw[(k - 1) * 2], s, "S of BG_L at stamp {k}");
    }
    assert!(s > 0.1, "the thalamus' S stayed at {s}");

    // TVB → spiking: the cortex's Poisson proxies (receptor 0, AMPA) are
    // what makes the striatum fire
    let alone = tempfile::tempdir().unwrap();
    run(
        &g,
        alone.path(),
        &[
            "simulation.duration_ms=300",
            "actors.gen_stn.scale=0.0",
            "actors.gen_dsn.scale=0.0",
            "actors.gen_isn.scale=0.0",
        ],
    )
    .unwrap();
    let (a, _) = mean_rates(alone.path(), 1000, steps);
    eprintln!("without the cortex's proxies: {a:.2?} Hz");
    assert!(a[4] == 0.0 && a[5] == 0.0, "{a:?}");

    // the builder's DBS_GPi (−5 from 35 to 85 ms on current_in) holds GPi
    // back: without it GPi's first volley after 35 ms is earlier
    let no_dbs = tempfile::tempdir().unwrap();
    run(
        &g,
        no_dbs.path(),
        &[
            "simulation.duration_ms=100",
            "actors.dbs.amplitude_values_pA=[0.0, 0.0]",
        ],
    )
    .unwrap();
    let (with, without) = (
        gpi_spikes(dir.path(), 35.0, 100.0),
        gpi_spikes(no_dbs.path(), 35.0, 100.0),
    );
    assert!(
        !with.is_empty() && !without.is_empty() && without[0] < with[0],
        "first GPi spike after 35 ms: {:?} with DBS, {:?} without",
        with.first(),
        without.first()
    );
}
