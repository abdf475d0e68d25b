//! The shipped TVB-AdEx graph (`graphs/adex68.toml`): it runs on tvb-data's
//! 68-region connectome (bzip2 members), and the polynomial fits can be
//! given as one list (`P_e = [..]`) that sets `P_e0` … `P_e9`.

mod common;
use common::*;

const DEFAULT_P_E: &str = "[-0.04983106, 0.005063550882777035, -0.023470121807314552, 0.0022951513725067503, -0.0004105302652029825, 0.010547051343547399, -0.03659252821136933, 0.007437487505797858, 0.001265064721846073, -0.04072161294490446]";

fn rates(set: &[&str]) -> (Vec<usize>, Vec<f64>) {
    let dir = tempfile::tempdir().unwrap();
    let mut s = vec!["simulation.duration_ms=300"];
    s.extend_from_slice(set);
    run(&root().join("graphs/adex68.toml"), dir.path(), &s).unwrap();
    assert!(dir.path().join("plot.png").exists());
    let (shape, data, _) = read_h5(&dir.path().join("rec.h5"));
    (shape, data)
}

#[test]
fn adex68_runs_and_p_e_lists_set_the_numbered_parameters() {
    let (shape, base) = rates(&[]);
    // 300 samples of 1 ms, E I W_e, 68 regions
    assert_eq!(&shape[..3], &[300, 3, 68]);
    assert!(base.iter().all(|x| x.is_finite()));
    let e_max = base
        .chunks(3 * 68)
        .flat_map(|s| s[..68].iter().copied())
        .fold(0.0f64, f64::max);
    assert!(e_max > 0.0 && e_max < 0.2, "E stays a rate in kHz: {e_max}");
    let same = format!("actors.brain.model_params.P_e={DEFAULT_P_E}");
    assert_eq!(rates(&[&same]).1, base, "the default list is the default");
    let changed = DEFAULT_P_E.replacen("-0.04983106", "-0.047", 1);
    let changed = format!("actors.brain.model_params.P_e={changed}");
    assert_ne!(rates(&[&changed]).1, base, "P_e0 changed");
}
