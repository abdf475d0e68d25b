//! The live view in a real browser (headless Chromium, Debian's
//! `chromium`; scripts/deps.sh installs it): a co-simulation started with
//! `--serve`, its page opened while it runs, the values the page shows
//! (and those of its JSON endpoint) equal to the recorded HDF5 at the same
//! time stamps, a screenshot kept as target/test-artifacts/live_view.png.
//! Without Chromium the test says it skipped, unless
//! BRAINSTREAM_REQUIRE_EXTERNAL=1 (CI), where that fails it.

use super::common::*;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Chromium, or None (skipped) where it is missing and not required.
fn chromium() -> Option<PathBuf> {
    let names = ["chromium", "chromium-browser", "google-chrome"];
    let found = std::env::var_os("BRAINSTREAM_CHROMIUM")
        .map(PathBuf::from)
        .or_else(|| {
            let path = std::env::var_os("PATH")?;
            std::env::split_paths(&path)
                .flat_map(|d| names.iter().map(move |n| d.join(n)))
                .find(|p| p.is_file())
        });
    if found.is_none() {
        let msg = "no chromium on PATH (scripts/deps.sh installs Debian's `chromium`)";
        assert!(
            !matches!(
                std::env::var("BRAINSTREAM_REQUIRE_EXTERNAL").as_deref(),
                Ok("1")
            ),
            "{msg}"
        );
        eprintln!("skipped: {msg}");
    }
    found
}

/// Headless Chromium's flags for a container (no sandbox as root, no GPU).
fn headless(chrome: &Path, profile: &Path) -> Command {
    let mut c = Command::new(chrome);
    c.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        "--no-first-run",
        "--window-size=1400,1100",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .stdin(Stdio::null());
    c
}

/// A served run: the child, its stderr lines as they come, and its URL.
pub struct Served {
    pub child: Child,
    pub lines: mpsc::Receiver<String>,
    pub url: String,
}

impl Served {
    /// Starts `brainstream run ARGS --serve` and waits for its URL.
    pub fn start(args: &[&str]) -> Served {
        let mut child = bs()
            .arg("run")
            .args(args)
            .args(["--serve", "-q"])
            .current_dir(root())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (tx, lines) = mpsc::channel();
        let err = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for l in BufReader::new(err).lines().map_while(Result::ok) {
                if tx.send(l).is_err() {
                    break;
                }
            }
        });
        let mut s = Served {
            child,
            lines,
            url: String::new(),
        };
        let l = s.wait_for("live view: http://", Duration::from_secs(60));
        s.url = l["live view: ".len()..].trim().to_string();
        s
    }

    /// The first stderr line containing `what` (fails after `within`).
    pub fn wait_for(&mut self, what: &str, within: Duration) -> String {
        let t = Instant::now();
        let mut seen = vec![];
        while t.elapsed() < within {
            match self.lines.recv_timeout(Duration::from_millis(100)) {
                Ok(l) if l.contains(what) => return l,
                Ok(l) => seen.push(l),
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        let _ = self.child.kill();
        panic!("no `{what}` from the run; it said:\n{}", seen.join("\n"));
    }

    /// `GET path` (with the token) of the served run.
    pub fn get(&self, path: &str) -> (u16, String) {
        http(&self.url, "GET", path, "")
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP request to the run at `url` (its token added to `path`).
pub fn http(url: &str, method: &str, path: &str, body: &str) -> (u16, String) {
    let rest = url.strip_prefix("http://").unwrap();
    let (host, q) = rest.split_once("/?").unwrap();
    let sep = if path.contains('?') { '&' } else { '?' };
    let mut c = std::net::TcpStream::connect(host).unwrap();
    write!(
        c,
        "{method} {path}{sep}{q} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut a = String::new();
    c.read_to_string(&mut a).unwrap();
    let status = a.split_whitespace().nth(1).unwrap().parse().unwrap();
    (
        status,
        a.split_once("\r\n\r\n").map_or("", |x| x.1).to_string(),
    )
}

/// Waits until the served run's mean field has `n` samples.
pub fn wait_for_samples(run: &Served, n: usize) {
    let t = Instant::now();
    loop {
        let (_, body) = run.get("/data?nodes=0");
        let d: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        let have = d["streams"]
            .as_array()
            .and_then(|s| {
                s.iter()
                    .find(|s| s["actor"] == "brain" && s["port"] == "state")
            })
            .map_or(0, |s| s["stamps"].as_array().map_or(0, |a| a.len()));
        if have >= n {
            return;
        }
        assert!(
            t.elapsed() < Duration::from_secs(120),
            "no data from the run: {body}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The text of `<pre id="shown">` in a dumped DOM, unescaped.
fn shown(dom: &str) -> serde_json::Value {
    let start = dom
        .find("<pre id=\"shown\"")
        .expect("the page has no #shown");
    let open = start + dom[start..].find('>').unwrap() + 1;
    let end = open + dom[open..].find("</pre>").unwrap();
    let text = dom[open..end]
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("#shown is not JSON ({e}): {text}"))
}

/// Checks every value of `series` (variable `v`, times `times_ms`, values
/// `values[j][k]` of node `nodes[j]`) against the recorder's file: the
/// same bits at the same time stamps. Returns how many were compared.
fn same_as_recorded(
    file: &Path,
    v: usize,
    nodes: &[usize],
    times: &[f64],
    values: &[Vec<f64>],
) -> usize {
    let (shape, data, time) = read_h5(file);
    let (nv, nn) = (shape[1], shape[2]);
    let modes = shape.get(3).copied().unwrap_or(1);
    let mut compared = 0;
    for (k, t) in times.iter().enumerate() {
        let i = time
            .iter()
            .position(|x| x.to_bits() == t.to_bits())
            .unwrap_or_else(|| panic!("t = {t} ms shown, not in {}", file.display()));
        for (j, &n) in nodes.iter().enumerate() {
            let rec = data[((i * nv + v) * nn + n) * modes];
            let s = values[j][k];
            assert_eq!(
                s.to_bits(),
                rec.to_bits(),
                "node {n} at t = {t} ms: shown {s}, recorded {rec}"
            );
            compared += 1;
        }
    }
    compared
}

#[test]
fn the_page_shows_the_recorded_values_while_the_run_goes() {
    let Some(chrome) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o");
    // paced to the wall clock: the run lasts at least its 1000 simulated ms
    let mut run = Served::start(&[
        "graphs/cosim_wc76_spiking.toml",
        "--out",
        out.to_str().unwrap(),
        "--set",
        "simulation.duration_ms=1000",
        "--realtime",
        "--serve-linger",
        "120",
    ]);
    // a wrong token is refused
    let bad = run.url.replace("token=", "token=0");
    assert_eq!(http(&bad, "GET", "/data", "").0, 403);
    // once data have come, the run is paused, so that the page sees it
    // unfinished whatever the machine's speed
    wait_for_samples(&run, 50);
    assert_eq!(http(&run.url, "POST", "/pause", "").0, 200);
    std::thread::sleep(Duration::from_millis(300));
    let dump = headless(&chrome, &dir.path().join("profile1"))
        .args(["--virtual-time-budget=4000", "--dump-dom"])
        .arg(&run.url)
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&dump.stdout).to_string();
    assert!(
        dom.contains("brainstream live"),
        "{}",
        String::from_utf8_lossy(&dump.stderr)
    );
    assert!(
        dom.contains("data-finished=\"false\""),
        "the page saw the run finished"
    );
    assert!(
        dom.contains("<span id=\"state\" class=\"\">paused</span>"),
        "the page does not say paused"
    );
    let page = shown(&dom);
    assert_eq!(http(&run.url, "POST", "/resume", "").0, 200);
    // then the end of the run (its files complete), and the screenshot
    run.wait_for("serving the finished run", Duration::from_secs(300));
    let artifacts = root().join("target/test-artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    let png = artifacts.join("live_view.png");
    let _ = std::fs::remove_file(&png);
    let shot = headless(&chrome, &dir.path().join("profile2"))
        .args(["--virtual-time-budget=4000"])
        .arg(format!("--screenshot={}", png.display()))
        .arg(&run.url)
        .output()
        .unwrap();
    assert!(
        png.metadata().is_ok_and(|m| m.len() > 10_000),
        "no screenshot: {}",
        String::from_utf8_lossy(&shot.stderr)
    );

    // what the page shows: the mean field's state, its first regions
    assert_eq!(page["actor"], "brain");
    assert_eq!(page["port"], "state");
    let nodes: Vec<usize> = page["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as usize)
        .collect();
    let values: Vec<Vec<f64>> = page["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(floats)
        .collect();
    let times = floats(&page["times_ms"]);
    assert!(
        !times.is_empty() && nodes.len() == 4,
        "the page shows no data: {page}"
    );
    let v = page["variable_index"].as_u64().unwrap() as usize;
    let raw = out.join("raw.h5");
    let n = same_as_recorded(&raw, v, &nodes, &times, &values);
    eprintln!(
        "the page showed {} samples of {} regions, up to t = {} ms, equal to raw.h5",
        times.len(),
        nodes.len(),
        times.last().unwrap()
    );
    assert!(n >= 4);

    // the JSON endpoint the page reads: the whole run, every stream
    let (st, body) = run.get("/data?nodes=0,5,40,75");
    assert_eq!(st, 200);
    let d: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(d["progress"]["finished"], true);
    assert_eq!(d["progress"]["steps_done"], 10000);
    let state = d["streams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["actor"] == "brain" && s["port"] == "state")
        .unwrap();
    let times = floats(&state["times_ms"]);
    // 10000 steps: one sample in 3 kept (stride ⌈10000 / 4000⌉)
    assert_eq!(d["stride_steps"], 3);
    assert_eq!(times.len(), 3334);
    for v in 0..2 {
        let values: Vec<Vec<f64>> = state["values"][v]
            .as_array()
            .unwrap()
            .iter()
            .map(floats)
            .collect();
        assert_eq!(
            same_as_recorded(&raw, v, &[0, 5, 40, 75], &times, &values),
            4 * 3334
        );
    }
    // the spiking regions' population rates (the network's own output)
    let rates = d["streams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["actor"] == "net" && s["port"] == "rates")
        .unwrap();
    assert_eq!(rates["nodes"], serde_json::json!(["rM1", "lM1"]));
    let raster = d["rasters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["actor"] == "net")
        .unwrap();
    assert!(
        raster["senders"].as_array().unwrap().len() > 100,
        "{raster}"
    );
    assert_eq!(d["fc"]["matrix"].as_array().unwrap().len(), 76);
    let busy: f64 = d["actors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "net")
        .unwrap()["busy_s"]
        .as_f64()
        .unwrap();
    assert!(busy > 0.0);
}
