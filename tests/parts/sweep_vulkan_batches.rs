//! Vulkan sweeps in batches sized from the device's memory and on several
//! devices at once (issue 23): the batch size and the number of workers
//! change nothing in the table, and the log says the batches.

use super::*;

/// The stochastic Generic2dOscillator sweep of 5 combinations (76 regions).
fn g2d_sweep(dir: &Path) -> PathBuf {
    write(dir, "g.toml", &stochastic_g2d76());
    write(
        dir,
        "s.toml",
        r#"
graph = "g.toml"
duration_ms = 250.0
transient_ms = 50.0
[[axes]]
param = "coupling_params.a"
linspace = [0.0, 0.02, 5]
[analysis]
rates = ["V", "W"]
fcd_window_ms = 100.0
fcd_step_ms = 50.0
"#,
    )
}

/// [`vulkan_sweep_cli`] with `BRAINSTREAM_VULKAN_DEVICE=devices` and, if
/// given, at most `batch` combinations a batch: its log (stderr).
fn on_devices(file: &Path, out: &Path, devices: &str, batch: Option<usize>) -> String {
    let batch = batch.map(|b| b.to_string());
    let mut env = vec![("BRAINSTREAM_VULKAN_DEVICE", devices)];
    if let Some(b) = &batch {
        env.push(("BRAINSTREAM_SWEEP_BATCH", b));
    }
    vulkan_sweep_cli(file, out, &env)
}

/// The same sweep on one device in one batch sized from its memory, on
/// two workers (the device named twice: two logical devices, one queue
/// each) in batches of 2, and resumed on those two workers after its first
/// two rows: the same table, bit for bit; the log says each worker's batch
/// size, what bounds it, and how many batches each ran.
#[test]
fn batches_and_devices_change_no_bit_of_a_vulkan_sweep() {
    let Some(dev) = common::vulkan_device("the Vulkan sweep's batches") else {
        return;
    };
    // the first word of its name (lavapipe's has a comma further on)
    let name = dev.name.split(' ').next().unwrap().to_string();
    drop(dev);
    let dir = tempfile::tempdir().unwrap();
    let file = g2d_sweep(dir.path());

    let one = dir.path().join("one");
    let log = on_devices(&file, &one, &name, None);
    eprintln!("{log}");
    let (shape, full) = table(&one);
    assert_eq!(shape[0], 5);
    assert!(full.iter().any(|v| v.is_finite()));
    // one worker, all 5 in one batch: its share of the sweep bounds it
    assert!(log.contains("Vulkan sweep batches"), "{log}");
    assert!(log.contains("batch=5"), "{log}");
    assert!(log.contains("device_budget_mib="), "{log}");
    assert!(log.contains("batches=1"), "{log}");
    assert!(!log.contains("worker=1"), "{log}");

    let two = dir.path().join("two");
    let list = format!("{name},{name}");
    let log = on_devices(&file, &two, &list, Some(2));
    eprintln!("{log}");
    assert_eq!(bits(&table(&two).1), bits(&full));
    assert!(
        log.contains("worker=0") && log.contains("worker=1"),
        "{log}"
    );
    assert!(
        log.contains("batch=2") && log.contains("bound=the cap"),
        "{log}"
    );
    assert!(log.contains("devices=2"), "{log}");
    // 5 combinations in batches of 2: 3 batches between the two workers
    let ran: usize = log
        .lines()
        .filter(|l| l.contains("Vulkan worker done"))
        .map(|l| {
            let b = l.split("batches=").nth(1).unwrap();
            b.split(|c: char| !c.is_ascii_digit())
                .next()
                .unwrap()
                .parse::<usize>()
                .unwrap()
        })
        .sum();
    assert_eq!(ran, 3, "{log}");

    // resumed after two rows (the log's header line, then rows), on the
    // two workers in batches of 1: the same table
    let log_rows = std::fs::read_to_string(one.join("rows.jsonl")).unwrap();
    let lines: Vec<&str> = log_rows.lines().collect();
    assert_eq!(lines.len(), 6);
    let resumed = dir.path().join("resumed");
    std::fs::create_dir(&resumed).unwrap();
    std::fs::write(
        resumed.join("rows.jsonl"),
        format!("{}\n{}\n{}\n", lines[0], lines[1], lines[2]),
    )
    .unwrap();
    let log = on_devices(&file, &resumed, &list, Some(1));
    assert!(log.contains("combinations=3"), "{log}");
    assert_eq!(bits(&table(&resumed).1), bits(&full));

    // a cap that is not a number is refused, naming the variable
    vulkan_sweep_refuses(
        &file,
        &dir.path().join("bad"),
        "BRAINSTREAM_SWEEP_BATCH",
        "0",
    );
}
