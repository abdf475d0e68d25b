//! The launcher's relay of what its partitions say: each partition's
//! messages go to its log (`OUT/partition-NAME.log`); its warnings and
//! notices (a parameter outside its documented range, an external
//! process's "building the NEST adapter (one time, about a minute)") reach
//! the user as they come, once, as `partition `NAME`: warning: …` or
//! `partition `NAME`: note: …`. A message the launcher already printed
//! itself (every partition reads the whole graph, so its warnings are the
//! launcher's too) or one another partition already relayed is not
//! printed again.

use std::collections::HashSet;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::sync::Mutex;

use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::{DefaultFields, Writer};
use tracing_subscriber::fmt::FormatFields;
use tracing_subscriber::layer::{Context, Layer};

/// The fields of every warning (and error) this process logged, as the
/// default formatter writes them (`message key=value`).
static LOGGED: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// A layer that remembers this process's warnings (see [`logged`]).
pub struct Remember;

impl<S: Subscriber> Layer<S> for Remember {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        // ERROR < WARN < INFO in tracing's order of verbosity
        if *event.metadata().level() > Level::WARN {
            return;
        }
        let mut s = String::new();
        if DefaultFields::new()
            .format_fields(Writer::new(&mut s), event)
            .is_ok()
        {
            if let Ok(mut v) = LOGGED.lock() {
                v.push(s);
            }
        }
    }
}

/// What this process logged as warnings so far.
pub fn logged() -> Vec<String> {
    LOGGED.lock().map(|v| v.clone()).unwrap_or_default()
}

/// A line of a partition's log that is for the user: `(kind, message)`
/// with kind `warning`, `error` or `note`. Taken: `note: …` (an external process's
/// notice), `warning: …`, and a log line at WARN or ERROR
/// (`TIME  WARN [span{…}:] target: message`).
pub fn classify(line: &str) -> Option<(&'static str, String)> {
    let line = strip_ansi(line);
    let line = line.trim_end();
    if let Some(m) = line.strip_prefix("note: ") {
        return Some(("note", m.to_string()));
    }
    if let Some(m) = line.strip_prefix("warning: ") {
        return Some(("warning", m.to_string()));
    }
    // TIME LEVEL …
    let mut it = line.splitn(2, char::is_whitespace);
    let time = it.next()?;
    if !(time.contains('T')
        && time.ends_with('Z')
        && time.starts_with(|c: char| c.is_ascii_digit()))
    {
        return None;
    }
    let rest = it.next()?.trim_start();
    let (level, rest) = rest.split_once(char::is_whitespace)?;
    let kind = match level {
        "WARN" => "warning",
        "ERROR" => "error",
        _ => return None,
    };
    let mut r = rest.trim_start();
    // spans: `name{fields}:` (fields may hold spaces) or `name:`
    loop {
        let ident = r
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(r.len());
        if ident > 0 && r[ident..].starts_with('{') {
            match r.find("}:") {
                Some(e) => r = r[e + 2..].trim_start(),
                None => break,
            }
        } else {
            break;
        }
    }
    // the target: a module path and ": "
    if let Some(i) = r.find(": ") {
        if r[..i]
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == ':')
        {
            r = &r[i + 2..];
        }
    }
    Some((kind, r.to_string()))
}

/// `s` without terminal colour codes (`ESC [ … m`).
fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' && chars.peek() == Some(&'[') {
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// One partition's log, followed.
struct Follow {
    name: String,
    path: PathBuf,
    offset: u64,
    partial: String,
    /// the lines of this log that were shown (left out of its tail)
    shown: HashSet<String>,
}

/// The logs of a run's partitions, followed.
pub struct Relay {
    logs: Vec<Follow>,
    /// messages already in front of the user
    seen: HashSet<String>,
}

impl Relay {
    /// Follows `logs` (partition name, log file); `already` are messages
    /// the user has seen (the launcher's own warnings).
    pub fn new(logs: Vec<(String, PathBuf)>, already: Vec<String>) -> Self {
        Self {
            logs: logs
                .into_iter()
                .map(|(name, path)| Follow {
                    name,
                    path,
                    offset: 0,
                    partial: String::new(),
                    shown: HashSet::new(),
                })
                .collect(),
            seen: already.into_iter().collect(),
        }
    }

    /// Writes to `out` what the logs said since the last call; `last`:
    /// the partitions have exited (a line without its newline counts).
    pub fn poll(&mut self, out: &mut impl Write, last: bool) {
        for f in &mut self.logs {
            let mut text = String::new();
            if let Ok(mut file) = std::fs::File::open(&f.path) {
                if file.seek(SeekFrom::Start(f.offset)).is_ok() {
                    let mut buf = vec![];
                    if let Ok(n) = file.read_to_end(&mut buf) {
                        f.offset += n as u64;
                        text = String::from_utf8_lossy(&buf).into_owned();
                    }
                }
            }
            f.partial.push_str(&text);
            let mut lines: Vec<String> = vec![];
            while let Some(i) = f.partial.find('\n') {
                lines.push(f.partial[..i].to_string());
                f.partial.drain(..=i);
            }
            if last && !f.partial.is_empty() {
                lines.push(std::mem::take(&mut f.partial));
            }
            for line in lines {
                let Some((kind, msg)) = classify(&line) else {
                    continue;
                };
                if self.seen.insert(msg.clone()) {
                    let _ = writeln!(out, "partition `{}`: {kind}: {msg}", f.name);
                }
                f.shown.insert(line);
            }
        }
    }

    /// The last `n` lines of partition `k`'s log, without those shown.
    pub fn tail(&self, k: usize, n: usize) -> String {
        let Some(f) = self.logs.get(k) else {
            return String::new();
        };
        let t = std::fs::read_to_string(&f.path).unwrap_or_default();
        let lines: Vec<&str> = t.lines().filter(|l| !f.shown.contains(*l)).collect();
        lines[lines.len().saturating_sub(n)..].join("\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warnings_and_notices_are_told_from_other_lines() {
        let w = classify("2026-12-02T15:52:30.909398Z  WARN brainstream_actors::model_params: Generic2dOscillator.tau = 7 is outside its documented range [1, 5] 1: used as given");
        assert_eq!(
            w,
            Some((
                "warning",
                "Generic2dOscillator.tau = 7 is outside its documented range [1, 5] 1: used as given"
                    .to_string()
            ))
        );
        let w = classify("\u{1b}[2m2026-12-02T15:52:30.9Z\u{1b}[0m \u{1b}[33m WARN\u{1b}[0m actor{name=brain kind=\"mean_field\"}: brainstream_runtime::x: refused: a b edge=e1");
        assert_eq!(w, Some(("warning", "refused: a b edge=e1".to_string())));
        assert_eq!(
            classify("note: net: building the adapter (one time)"),
            Some(("note", "net: building the adapter (one time)".to_string()))
        );
        assert_eq!(classify("2026-12-02T15:52:30.9Z  INFO x: ready"), None);
        assert_eq!(classify("stopped by SIGINT in window 3"), None);
        assert_eq!(classify("error: actor `net`: failed"), None);
    }

    #[test]
    fn a_message_is_relayed_once_as_it_comes_and_left_out_of_the_tail() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.log"), dir.path().join("b.log"));
        let warn = "2026-12-02T15:52:30.9Z  WARN m::p: tau = 7 is outside its range";
        std::fs::write(&a, format!("{warn}\nnote: net: building")).unwrap();
        std::fs::write(&b, format!("{warn}\nplain line\n")).unwrap();
        let mut r = Relay::new(
            vec![("brain".into(), a.clone()), ("rec".into(), b.clone())],
            vec!["tau = 7 is outside its range".into()],
        );
        let mut out = vec![];
        r.poll(&mut out, false);
        // the launcher's own warning is not repeated; the note's line is
        // not complete yet
        assert_eq!(String::from_utf8_lossy(&out), "");
        std::fs::write(
            &a,
            format!("{warn}\nnote: net: building\nwarning: only here\n"),
        )
        .unwrap();
        r.poll(&mut out, false);
        std::fs::write(
            &b,
            format!("{warn}\nplain line\nwarning: only here\nlast words"),
        )
        .unwrap();
        r.poll(&mut out, true);
        assert_eq!(
            String::from_utf8_lossy(&out),
            "partition `brain`: note: net: building\npartition `brain`: warning: only here\n"
        );
        assert_eq!(r.tail(1, 5), "plain line\nlast words");
    }
}
