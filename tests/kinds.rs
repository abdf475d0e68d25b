//! Every registered actor kind builds from its declared defaults (plus the
//! required parameters), and reads no parameter its table does not declare:
//! the table that `brainstream list` prints is the one validation uses.

use brainstream::runtime::{BuildCtx, DefaultValue, Params};

fn required(kind: &str, name: &str) -> toml::Value {
    match (kind, name) {
        ("spiking_network" | "spike_rates" | "spike_stats" | "external", "regions") => {
            toml::Value::Array(vec!["r".into()])
        }
        ("spiking_network" | "spike_rates" | "spike_stats" | "external", "populations") => {
            toml::from_str::<toml::Table>("p = { E = 4 }").unwrap()["p"].clone()
        }
        ("spike_generator", "spike_times_ms") => toml::Value::Array(vec![1.0.into()]),
        ("step_current_generator", "amplitude_times_ms") => toml::Value::Array(vec![1.0.into()]),
        ("step_current_generator", "amplitude_values_pA") => toml::Value::Array(vec![10.0.into()]),
        ("inhomogeneous_poisson_generator", "rate_times") => toml::Value::Array(vec![1.0.into()]),
        ("inhomogeneous_poisson_generator", "rate_values") => toml::Value::Array(vec![5.0.into()]),
        ("parrot_neuron", "n") => toml::Value::Integer(3),
        ("current_proxy", "scale") => toml::Value::Float(100.0),
        ("spatial_average", "spatial_mask") => {
            toml::Value::Array(vec![0.into(), 1.into(), 1.into()])
        }
        ("stimulus", "weights") => {
            toml::from_str::<toml::Table>("w = { rM1 = 1.0 }").unwrap()["w"].clone()
        }
        ("proportional_control", "key") => "coupling_params.a".into(),
        ("proportional_control", "setpoint" | "gain" | "initial") => toml::Value::Float(0.1),
        _ => panic!("no test value for the required parameter {kind}.{name}"),
    }
}

/// Kinds that need one of several optional parameters.
fn one_of(kind: &str, t: &mut toml::Table) {
    if kind == "external" {
        t.insert(
            "command".into(),
            toml::Value::Array(vec!["python3".into(), "net.py".into()]),
        );
    }
}

#[test]
fn every_kind_builds_from_its_table() {
    let reg = brainstream::default_registry();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut n = 0;
    for k in reg.kinds() {
        let mut t = toml::Table::new();
        for p in k.params {
            if p.default == DefaultValue::Required {
                t.insert(p.name.into(), required(k.name, p.name));
            }
            assert!(!p.doc.is_empty(), "{}.{} has no doc", k.name, p.name);
        }
        one_of(k.name, &mut t);
        let params = Params::new(&t, k.params, dir);
        assert!(
            params.check().is_empty(),
            "{}: {:?}",
            k.name,
            params.check()
        );
        if let Err(e) = (k.build)(&BuildCtx {
            name: "a",
            params,
            dt_ms: 0.1,
            // long enough for fcd_plot's default windows (3 of 2 s every 0.5 s)
            duration_ms: 10_000.0,
        }) {
            panic!(
                "{} does not build from its defaults: {} {}",
                k.name, e.key, e.message
            );
        }
        assert!(!k.doc.is_empty());
        n += 1;
    }
    assert!(n >= 15, "{n} kinds");
}
