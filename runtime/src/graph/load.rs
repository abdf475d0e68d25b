//! Reading graph files (TOML, or JSON), applying `--set` overrides, and
//! locating keys in the text for error messages.

use std::path::{Path, PathBuf};

use crate::error::{GraphIssue, RuntimeError};
use crate::graph::descriptor::GraphDesc;

/// The text of a graph and where it came from.
#[derive(Debug, Clone)]
pub struct GraphSource {
    /// The file, if any (paths inside the graph are relative to its folder).
    pub path: Option<PathBuf>,
    /// The text as written.
    pub text: String,
    /// JSON instead of TOML.
    pub json: bool,
    /// `--set key.path=value` overrides, applied in order.
    pub overrides: Vec<String>,
}

/// Largest graph file accepted.
pub const MAX_GRAPH_BYTES: u64 = 16 * 1024 * 1024;

impl GraphSource {
    /// Reads a graph file; `.json` files are JSON, everything else TOML.
    pub fn from_file(path: &Path) -> Result<Self, RuntimeError> {
        let io = |source| RuntimeError::Io {
            path: path.to_path_buf(),
            source,
        };
        let meta = std::fs::metadata(path).map_err(io)?;
        if meta.len() > MAX_GRAPH_BYTES {
            return Err(RuntimeError::Invalid(vec![GraphIssue {
                file: path.to_path_buf(),
                line_col: None,
                path: String::new(),
                message: format!(
                    "file is {} bytes; graph files are at most 16 MiB",
                    meta.len()
                ),
                hint: None,
            }]));
        }
        let bytes = std::fs::read(path).map_err(io)?;
        let text = String::from_utf8(bytes).map_err(|e| {
            RuntimeError::Invalid(vec![GraphIssue {
                file: path.to_path_buf(),
                line_col: None,
                path: String::new(),
                message: format!(
                    "not UTF-8 text (invalid byte at offset {})",
                    e.utf8_error().valid_up_to()
                ),
                hint: Some("graph files are TOML or JSON text".into()),
            }])
        })?;
        let json = path.extension().and_then(|e| e.to_str()) == Some("json");
        Ok(Self {
            path: Some(path.to_path_buf()),
            text,
            json,
            overrides: vec![],
        })
    }

    /// A graph given as TOML text (no file).
    pub fn from_toml(text: impl Into<String>) -> Self {
        Self {
            path: None,
            text: text.into(),
            json: false,
            overrides: vec![],
        }
    }

    /// Adds `--set` overrides.
    pub fn with_overrides(mut self, o: impl IntoIterator<Item = String>) -> Self {
        self.overrides.extend(o);
        self
    }

    /// The file name used in messages.
    pub fn file(&self) -> PathBuf {
        self.path
            .clone()
            .unwrap_or_else(|| PathBuf::from("<graph>"))
    }

    /// Folder that relative paths in the graph resolve against.
    pub fn base_dir(&self) -> PathBuf {
        match &self.path {
            Some(p) => p
                .parent()
                .map(|d| {
                    if d.as_os_str().is_empty() {
                        Path::new(".")
                    } else {
                        d
                    }
                })
                .unwrap_or(Path::new("."))
                .to_path_buf(),
            None => PathBuf::from("."),
        }
    }

    /// The text recorded as provenance: the file plus the overrides.
    pub fn provenance(&self) -> String {
        let mut s = self.text.clone();
        for o in &self.overrides {
            s.push_str(&format!("\n# --set {o}"));
        }
        s
    }

    fn issue(
        &self,
        line_col: Option<(usize, usize)>,
        path: &str,
        msg: String,
        hint: Option<String>,
    ) -> GraphIssue {
        GraphIssue {
            file: self.file(),
            line_col,
            path: path.to_string(),
            message: msg,
            hint,
        }
    }

    /// Parses the text, applies the overrides and deserialises the descriptor.
    pub fn parse(&self) -> Result<GraphDesc, RuntimeError> {
        let mut table: toml::Table = if self.json {
            let v: serde_json::Value = serde_json::from_str::<NoDupJson>(&self.text)
                .map(|d| d.0)
                .map_err(|e| {
                RuntimeError::Invalid(vec![self.issue(
                    Some((e.line(), e.column())),
                    "",
                    format!("JSON syntax: {e}"),
                    None,
                )])
            })?;
            match json_to_toml(&v, "").map_err(|(p, m)| {
                RuntimeError::Invalid(vec![self.issue(self.locate(&p), &p, m, None)])
            })? {
                toml::Value::Table(t) => t,
                _ => {
                    return Err(RuntimeError::Invalid(vec![self.issue(
                        None,
                        "",
                        "the top level must be an object".into(),
                        None,
                    )]))
                }
            }
        } else {
            toml::from_str(&self.text).map_err(|e| {
                let lc = e.span().map(|s| line_col(&self.text, s.start));
                let (path, msg, hint) = match e.span() {
                    Some(sp) => explain_toml_error(&self.text, e.message(), sp.start),
                    None => (
                        String::new(),
                        format!("TOML syntax: {}", e.message()),
                        Some(TOUR_HINT.into()),
                    ),
                };
                RuntimeError::Invalid(vec![self.issue(lc, &path, msg, hint)])
            })?
        };
        for o in &self.overrides {
            apply_override(&mut table, o)?;
        }
        let de = toml::Value::Table(table);
        serde_path_to_error::deserialize::<_, GraphDesc>(de).map_err(|e| {
            let path = e.path().to_string();
            let path = if path == "." { String::new() } else { path };
            let inner = e.into_inner().to_string();
            // serde appends "in `path`", which the location already says
            let mut msg = inner.split("\nin `").next().unwrap_or(&inner).trim().to_string();
            if path == "simulation.seed" {
                msg = format!("a seed is an integer from 0 to {} ({msg})", i64::MAX);
            }
            let lc = self.locate(&path);
            let hint = if msg.contains("missing field") {
                Some("every graph needs [simulation] with dt_ms and duration_ms; every actor needs `kind`".into())
            } else if msg.contains("unknown variant") {
                Some("scheme is \"serial\" or \"parallel\"; transport is \"channel\", \"shm\", \"zmq\" or \"mpi\"".into())
            } else {
                None
            };
            RuntimeError::Invalid(vec![self.issue(lc, &path, msg, hint)])
        })
    }

    /// 1-based line and column of a dotted key path (`actors.brain.model`,
    /// `edges[2].from`) in the TOML or JSON text, or of the nearest
    /// enclosing item.
    pub fn locate(&self, path: &str) -> Option<(usize, usize)> {
        if path.is_empty() {
            return None;
        }
        let offset = if self.json {
            json_offset(&self.text, path)
        } else {
            toml_offset(&self.text, path)
        };
        offset.map(|o| line_col(&self.text, o))
    }
}

const TOUR_HINT: &str = "see the graph file tour in README.md";

/// Byte offset of a dotted key path in a TOML text, or of the nearest
/// enclosing item; None where the text does not parse.
fn toml_offset(text: &str, path: &str) -> Option<usize> {
    toml_find(text, path).map(|f| f.0)
}

/// [`toml_offset`], and whether the whole path was found (not only an
/// enclosing item).
fn toml_find(text: &str, path: &str) -> Option<(usize, bool)> {
    let doc = toml_edit::Document::parse(text).ok()?;
    let mut cur = Cursor::Table(doc.as_table());
    let mut best = None;
    let segs = split_path(path);
    let mut matched = 0;
    for seg in &segs {
        let next = match (&cur, &seg) {
            (Cursor::Table(t), Seg::Key(k)) => t.get(k).map(Cursor::Item),
            (Cursor::Item(it), Seg::Key(k)) => match it {
                toml_edit::Item::Table(t) => t.get(k).map(Cursor::Item),
                toml_edit::Item::Value(toml_edit::Value::InlineTable(t)) => {
                    t.get(k).map(Cursor::Value)
                }
                _ => None,
            },
            (Cursor::Value(toml_edit::Value::InlineTable(t)), Seg::Key(k)) => {
                t.get(k).map(Cursor::Value)
            }
            (Cursor::Item(toml_edit::Item::ArrayOfTables(a)), Seg::Index(i)) => {
                a.get(*i).map(Cursor::Table)
            }
            (Cursor::Item(toml_edit::Item::Value(toml_edit::Value::Array(a))), Seg::Index(i))
            | (Cursor::Value(toml_edit::Value::Array(a)), Seg::Index(i)) => {
                a.get(*i).map(Cursor::Value)
            }
            _ => None,
        };
        let Some(n) = next else { break };
        matched += 1;
        if let Some(s) = n.span() {
            best = Some(s.start);
        }
        cur = n;
    }
    best.map(|b| (b, matched == segs.len()))
}

/// A TOML syntax error at byte `at` explained: (key path, message, hint).
/// A duplicate key or table names the key and the line it was first set
/// at; an integer too large for TOML names the key and the range.
fn explain_toml_error(text: &str, message: &str, at: usize) -> (String, String, Option<String>) {
    let at = at.min(text.len());
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let line = text[line_start..].lines().next().unwrap_or("");
    let header = line.trim_start().starts_with('[');
    let path = key_path_of(text, at, message == "duplicate key");
    let first_line = |p: &str| match toml_find(&text[..line_start], p) {
        Some((o, true)) => Some(line_col(text, o).0),
        _ => None,
    };
    if message == "duplicate key" {
        if header {
            let msg = match first_line(&path) {
                Some(l) => format!("table [{path}] is defined twice (first at line {l})"),
                None => format!("table [{path}] is defined twice"),
            };
            return (path, msg, Some("merge the two tables into one".into()));
        }
        let msg = match first_line(&path) {
            Some(l) => format!("duplicate key: already set at line {l}"),
            None => "duplicate key: already set earlier on this line".to_string(),
        };
        return (path, msg, Some("keep one of the two".into()));
    }
    if message.contains("as i128") {
        // toml reads integers as i64: larger ones fail while parsing
        let msg = if path == "seed" || path.ends_with(".seed") {
            format!("a seed is an integer from 0 to {}", i64::MAX)
        } else {
            format!(
                "integers are at most {} (TOML's are signed 64-bit)",
                i64::MAX
            )
        };
        return (path, msg, None);
    }
    (
        String::new(),
        format!("TOML syntax: {message}"),
        Some(TOUR_HINT.into()),
    )
}

/// The dotted key path of what the TOML line holding byte `at` sets: the
/// table of a header line, or the table above and the key before `=` (with
/// `inline`, the key of an inline table at `at` too). For messages about a
/// place in a TOML file (also used by sweep files).
pub fn key_path_at(text: &str, at: usize) -> String {
    key_path_of(text, at.min(text.len()), false)
}

fn key_path_of(text: &str, at: usize, inline: bool) -> String {
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let line = text[line_start..].lines().next().unwrap_or("");
    if line.trim_start().starts_with('[') {
        return header_path(line).0;
    }
    let key = line.split('=').next().unwrap_or("");
    let table = table_at(text, line_start);
    let mut key = key_segments(key);
    // a key inside an inline table of this line: `drive = { a = 1, a = 2 }`
    let after_eq = at > line_start + line.find('=').unwrap_or(line.len());
    if inline && after_eq {
        key.extend(key_segments(
            text[at..].split(['=', ',', '}', '\n']).next().unwrap_or(""),
        ));
    }
    let key = key.join(".");
    if table.is_empty() {
        key
    } else {
        format!("{table}.{key}")
    }
}

/// A TOML error of `text` explained as in graph files: (line and column,
/// key path, message, hint). Duplicate keys and tables name the line of
/// the first; integers too large for TOML name their range.
pub fn explain_toml(
    text: &str,
    e: &toml::de::Error,
) -> (Option<(usize, usize)>, String, String, Option<String>) {
    match e.span() {
        Some(sp) => {
            let (path, msg, hint) = explain_toml_error(text, e.message(), sp.start);
            (Some(line_col(text, sp.start)), path, msg, hint)
        }
        None => (
            None,
            String::new(),
            format!("TOML syntax: {}", e.message()),
            Some(TOUR_HINT.into()),
        ),
    }
}

/// 1-based line and column of a dotted key path (`axes[1].param`) in a
/// TOML text, or of its nearest enclosing item.
pub fn locate_toml(text: &str, path: &str) -> Option<(usize, usize)> {
    if path.is_empty() {
        return None;
    }
    toml_offset(text, path).map(|o| line_col(text, o))
}

/// The key path of a table header line (`[actors.a]`, `[[edges]]`) and
/// whether it is an array of tables.
fn header_path(line: &str) -> (String, bool) {
    let t = line.trim();
    let array = t.starts_with("[[");
    let inner = t.trim_start_matches('[');
    let inner = inner.split(']').next().unwrap_or("");
    (key_segments(inner).join("."), array)
}

/// The segments of a TOML key as written: `a."b c".d` → `a`, `b c`, `d`.
fn key_segments(k: &str) -> Vec<String> {
    let mut segs = vec![];
    let mut cur = String::new();
    let mut quote = None;
    for ch in k.chars() {
        match (quote, ch) {
            (None, '"' | '\'') => quote = Some(ch),
            (Some(q), c) if c == q => quote = None,
            (None, '.') => segs.push(std::mem::take(&mut cur).trim().to_string()),
            (_, c) => cur.push(c),
        }
    }
    segs.push(cur.trim().to_string());
    segs
}

/// The path of the table a line starting at `line_start` belongs to: the
/// last header above it (`edges[2]` for the third `[[edges]]`), or "".
fn table_at(text: &str, line_start: usize) -> String {
    let mut table = String::new();
    let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
    for l in text[..line_start].lines() {
        if l.trim_start().starts_with('[') {
            let (p, array) = header_path(l);
            table = if array {
                let c = counts.entry(p.clone()).or_insert(0);
                *c += 1;
                format!("{p}[{}]", *c - 1)
            } else {
                p
            };
        }
    }
    table
}

/// Byte offset of the value at a dotted key path in a JSON text (or of the
/// nearest enclosing value found), for messages.
fn json_offset(text: &str, path: &str) -> Option<usize> {
    let b = text.as_bytes();
    let mut pos = json_ws(b, 0);
    let mut best = None;
    for seg in split_path(path) {
        let found = match (b.get(pos)?, seg) {
            (b'{', Seg::Key(k)) => {
                let mut p = pos + 1;
                let mut found = None;
                loop {
                    p = json_ws(b, p);
                    if b.get(p)? != &b'"' {
                        break;
                    }
                    let end = json_skip(b, p)?;
                    let key: String = serde_json::from_str(text.get(p..end)?).ok()?;
                    p = json_ws(b, end);
                    if b.get(p)? != &b':' {
                        return best;
                    }
                    p = json_ws(b, p + 1);
                    if key == k {
                        found = Some(p);
                        break;
                    }
                    p = json_ws(b, json_skip(b, p)?);
                    if b.get(p) != Some(&b',') {
                        break;
                    }
                    p += 1;
                }
                found
            }
            (b'[', Seg::Index(i)) => {
                let mut p = json_ws(b, pos + 1);
                for _ in 0..i {
                    if b.get(p)? == &b']' {
                        return best;
                    }
                    p = json_ws(b, json_skip(b, p)?);
                    if b.get(p)? != &b',' {
                        return best;
                    }
                    p = json_ws(b, p + 1);
                }
                (b.get(p)? != &b']').then_some(p)
            }
            _ => None,
        };
        match found {
            Some(p) => {
                pos = p;
                best = Some(p);
            }
            None => break,
        }
    }
    best
}

/// Past any JSON whitespace.
fn json_ws(b: &[u8], mut p: usize) -> usize {
    while b.get(p).is_some_and(|c| c.is_ascii_whitespace()) {
        p += 1;
    }
    p
}

/// Past the JSON value (string, number, literal, object or array) at `p`.
fn json_skip(b: &[u8], p: usize) -> Option<usize> {
    match b.get(p)? {
        b'"' => {
            let mut q = p + 1;
            loop {
                match b.get(q)? {
                    b'\\' => q += 2,
                    b'"' => return Some(q + 1),
                    _ => q += 1,
                }
            }
        }
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut q = p;
            loop {
                match b.get(q)? {
                    b'"' => {
                        q = json_skip(b, q)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(q + 1);
                        }
                    }
                    _ => {}
                }
                q += 1;
            }
        }
        _ => {
            let mut q = p;
            while b
                .get(q)
                .is_some_and(|c| !matches!(c, b',' | b'}' | b']') && !c.is_ascii_whitespace())
            {
                q += 1;
            }
            Some(q)
        }
    }
}

enum Cursor<'a> {
    Table(&'a toml_edit::Table),
    Item(&'a toml_edit::Item),
    Value(&'a toml_edit::Value),
}

impl Cursor<'_> {
    fn span(&self) -> Option<std::ops::Range<usize>> {
        match self {
            Cursor::Table(t) => t.span(),
            Cursor::Item(i) => i.span().or_else(|| i.as_table().and_then(|t| t.span())),
            Cursor::Value(v) => v.span(),
        }
    }
}

enum Seg {
    Key(String),
    Index(usize),
}

fn split_path(p: &str) -> Vec<Seg> {
    let mut v = vec![];
    for part in p.split('.') {
        let mut rest = part;
        if let Some(b) = rest.find('[') {
            if b > 0 {
                v.push(Seg::Key(rest[..b].to_string()));
            }
            rest = &rest[b..];
            while let Some(stripped) = rest.strip_prefix('[') {
                let Some(e) = stripped.find(']') else { break };
                if let Ok(i) = stripped[..e].parse() {
                    v.push(Seg::Index(i));
                }
                rest = &stripped[e + 1..];
            }
        } else if let Ok(i) = rest.parse::<usize>() {
            v.push(Seg::Index(i));
        } else if !rest.is_empty() {
            v.push(Seg::Key(rest.to_string()));
        }
    }
    v
}

/// 1-based (line, column) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before
        .rsplit('\n')
        .next()
        .map(|l| l.chars().count())
        .unwrap_or(0)
        + 1;
    (line, col)
}

/// A JSON value whose objects must not repeat a key (serde_json keeps the
/// last one silently; a graph file with two actors of one name is an error).
struct NoDupJson(serde_json::Value);

impl<'de> serde::Deserialize<'de> for NoDupJson {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = NoDupJson;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_bool<E>(self, v: bool) -> Result<NoDupJson, E> {
                Ok(NoDupJson(v.into()))
            }
            fn visit_i64<E>(self, v: i64) -> Result<NoDupJson, E> {
                Ok(NoDupJson(v.into()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<NoDupJson, E> {
                Ok(NoDupJson(v.into()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<NoDupJson, E> {
                Ok(NoDupJson(v.into()))
            }
            fn visit_str<E>(self, v: &str) -> Result<NoDupJson, E> {
                Ok(NoDupJson(v.into()))
            }
            fn visit_unit<E>(self) -> Result<NoDupJson, E> {
                Ok(NoDupJson(serde_json::Value::Null))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut a: A,
            ) -> Result<NoDupJson, A::Error> {
                let mut v = vec![];
                while let Some(NoDupJson(x)) = a.next_element()? {
                    v.push(x);
                }
                Ok(NoDupJson(serde_json::Value::Array(v)))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut a: A,
            ) -> Result<NoDupJson, A::Error> {
                let mut m = serde_json::Map::new();
                while let Some(k) = a.next_key::<String>()? {
                    let NoDupJson(x) = a.next_value()?;
                    if m.insert(k.clone(), x).is_some() {
                        return Err(serde::de::Error::custom(format!("duplicate key `{k}`")));
                    }
                }
                Ok(NoDupJson(serde_json::Value::Object(m)))
            }
        }
        d.deserialize_any(V)
    }
}

fn json_to_toml(v: &serde_json::Value, path: &str) -> Result<toml::Value, (String, String)> {
    use serde_json::Value as J;
    Ok(match v {
        J::Null => {
            return Err((
                path.to_string(),
                "null is not allowed in graph files".into(),
            ))
        }
        J::Bool(b) => toml::Value::Boolean(*b),
        J::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => toml::Value::Integer(i),
            (None, Some(_)) => {
                return Err((
                    path.to_string(),
                    if path == "simulation.seed" {
                        format!("a seed is an integer from 0 to {}", i64::MAX)
                    } else {
                        format!("integers are at most {}", i64::MAX)
                    },
                ))
            }
            _ => toml::Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        J::String(s) => toml::Value::String(s.clone()),
        J::Array(a) => toml::Value::Array(
            a.iter()
                .enumerate()
                .map(|(i, x)| json_to_toml(x, &format!("{path}[{i}]")))
                .collect::<Result<_, _>>()?,
        ),
        J::Object(o) => {
            let mut t = toml::Table::new();
            for (k, x) in o {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                t.insert(k.clone(), json_to_toml(x, &p)?);
            }
            toml::Value::Table(t)
        }
    })
}

/// Applies one `key.path=value` override. The value is read as a TOML value
/// (`20`, `0.5`, `"text"`, `[1, 2]`, `true`); anything that is not valid
/// TOML is taken as a string. Numeric segments index arrays
/// (`edges.0.delay_ms=2`); missing tables are created.
pub fn apply_override(table: &mut toml::Table, arg: &str) -> Result<(), RuntimeError> {
    let err = |m: &str| RuntimeError::Override {
        arg: arg.to_string(),
        message: m.to_string(),
    };
    let (key, raw) = arg
        .split_once('=')
        .ok_or_else(|| err("expected KEY.PATH=VALUE, e.g. simulation.duration_ms=20"))?;
    let key = key.trim();
    if key.is_empty() || key.split('.').any(|s| s.is_empty()) {
        return Err(err("empty key segment"));
    }
    let value = match toml::from_str::<toml::Table>(&format!("v = {}", raw.trim())) {
        Ok(mut t) => t
            .remove("v")
            .unwrap_or(toml::Value::String(raw.to_string())),
        Err(_) => toml::Value::String(raw.trim().to_string()),
    };
    let segs: Vec<&str> = key.split('.').collect();
    let mut root = toml::Value::Table(std::mem::take(table));
    let r = set_in(&mut root, &segs, value).map_err(|m| err(&m));
    if let toml::Value::Table(t) = root {
        *table = t;
    }
    r
}

fn set_in(root: &mut toml::Value, segs: &[&str], value: toml::Value) -> Result<(), String> {
    let mut cur = root;
    for (i, s) in segs.iter().enumerate() {
        let last = i + 1 == segs.len();
        cur = match cur {
            toml::Value::Table(t) => {
                if last {
                    t.insert(s.to_string(), value);
                    return Ok(());
                }
                t.entry(s.to_string())
                    .or_insert_with(|| toml::Value::Table(toml::Table::new()))
            }
            toml::Value::Array(a) => {
                let idx: usize = s
                    .parse()
                    .map_err(|_| format!("`{s}` indexes an array: use a number"))?;
                let len = a.len();
                let slot = a
                    .get_mut(idx)
                    .ok_or_else(|| format!("index {idx} is out of range (array has {len})"))?;
                if last {
                    *slot = value;
                    return Ok(());
                }
                slot
            }
            _ => return Err(format!("`{}` is not a table", segs[..i].join("."))),
        };
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn override_array_element() {
        let mut t: toml::Table =
            toml::from_str("[[edges]]\nfrom='a'\n[[edges]]\nfrom='b'\n").unwrap();
        apply_override(&mut t, "edges.1.delay_ms=2.0").unwrap();
        assert!(t["edges"].is_array(), "{t:?}");
        assert_eq!(t["edges"][1]["delay_ms"].as_float(), Some(2.0));
    }
}
