//! A model with modes through a graph: `variables = ["xi", ...]` names
//! every mode, the recording's `/data` is `(time, variable, region, mode)`
//! with the 3 modes, and its values are tvb-library 2.10's run of
//! ReducedSetFitzHughNagumo (make_refs_modes.py's rs_fhn_heun) to the bit.

use super::common::*;
use super::tvb_case_npy;

#[test]
fn a_model_with_modes_is_recorded_with_its_modes_as_tvb_library_runs_it() {
    let dir = tempfile::tempdir().unwrap();
    // brain1: one mode of one variable, written as it is
    let g = write(
        dir.path(),
        "g.toml",
        r#"
[simulation]
dt_ms = 0.1
duration_ms = 100.0
sync_ms = 7.0
[actors.brain]
kind = "mean_field"
model = "ReducedSetFitzHughNagumo"
coupling = "Linear"
coupling_params = { a = 0.0042, b = 0.0 }
integrator = "HeunDeterministic"
initial_conditions = "golden"
variables = ["xi", "eta", "alpha", "beta"]
[actors.brain1]
kind = "mean_field"
model = "ReducedSetFitzHughNagumo"
initial_conditions = "golden"
variables = ["xi[1]"]
[actors.raw]
kind = "hdf5_recorder"
[actors.one]
kind = "hdf5_recorder"
[[edges]]
from = "brain.state"
to = "raw.input"
[[edges]]
from = "brain1.state"
to = "one.input"
"#,
    );
    let out = dir.path().join("out");
    run(&g, &out, &[]).unwrap();
    let (shape, ours, _) = read_h5(&out.join("raw.h5"));
    assert_eq!(shape, vec![1000, 4, 76, 3]);
    let f = open_h5(&out.join("raw.h5"));
    let names: Vec<String> = f
        .dataset("variable")
        .unwrap()
        .read_raw::<hdf5::types::VarLenUnicode>()
        .unwrap()
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(names, ["xi", "eta", "alpha", "beta"]);
    assert_eq!(
        f.dataset("mode").unwrap().read_raw::<i64>().unwrap(),
        [0, 1, 2]
    );
    // tvb-library: (sample, variable·3 + mode, region), one sample per ms
    let (tshape, tvb) = tvb_case_npy("rs_fhn_heun_data.npy");
    assert_eq!(tshape, vec![100, 12, 76]);
    for j in 0..100 {
        let s = 10 * j + 9;
        for v in 0..4 {
            for r in 0..76 {
                for m in 0..3 {
                    let a = ours[((s * 4 + v) * 76 + r) * 3 + m];
                    let b = tvb[(j * 12 + v * 3 + m) * 76 + r];
                    assert_eq!(
                        a.to_bits(),
                        b.to_bits(),
                        "sample {j} variable {v} region {r} mode {m}"
                    );
                }
            }
        }
    }
    let (shape1, _, _) = read_h5(&out.join("one.h5"));
    assert_eq!(shape1, vec![1000, 1, 76, 1]);
}
