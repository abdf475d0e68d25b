//! The spiking network's automatic thread count (`threads = 0`): for a
//! conductance network of ≥ 500 neurons each window runs on all threads or
//! on one, whichever was measured faster (`brainstream_models::thread_choice`);
//! what it computes does not depend on the choice.

use super::*;

/// The WC co-simulation with its two spiking regions (2000 neurons) made of
/// `iaf_cond_alpha` (the threads' case), 60 ms in windows of 0.5 ms: the
/// automatic count gives the rates of one thread to the bit.
#[test]
fn the_automatic_spiking_thread_choice_keeps_the_results_of_one_thread() {
    let g = root().join("graphs/cosim_wc76_spiking.toml");
    let dir = tempfile::tempdir().unwrap();
    let mut rates = vec![];
    for threads in ["0", "1"] {
        let out = dir.path().join(format!("t{threads}"));
        let set = [
            "simulation.duration_ms=60.0".to_string(),
            "actors.net.model=\"iaf_cond_alpha\"".to_string(),
            "actors.net.background.weight=2.0".to_string(),
            format!("actors.net.threads={threads}"),
        ];
        let set: Vec<&str> = set.iter().map(String::as_str).collect();
        run(&g, &out, &set).unwrap();
        let (shape, data, times) = read_h5(&out.join("rates.h5"));
        assert_eq!(times.len(), shape[0]);
        rates.push(data);
    }
    assert!(rates[0].iter().any(|r| *r > 0.0), "the network fires");
    let same = rates[0]
        .iter()
        .zip(&rates[1])
        .all(|(a, b)| a.to_bits() == b.to_bits());
    assert!(same, "rates differ between threads = 0 and 1");
}
