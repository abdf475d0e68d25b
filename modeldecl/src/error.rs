//! Problems with a declaration, each at a byte offset of its file, shown as
//! `FILE:LINE:COL: message` with a hint.

use std::fmt;

/// One problem.
#[derive(Debug, Clone, PartialEq)]
pub struct Diag {
    /// Byte offset in the declaration's text.
    pub at: usize,
    pub message: String,
    pub hint: Option<String>,
    /// Where the function holding `at` was called from, innermost first.
    pub called_at: Vec<usize>,
}

impl Diag {
    pub fn new(at: usize, message: impl Into<String>) -> Self {
        Self {
            at,
            message: message.into(),
            hint: None,
            called_at: vec![],
        }
    }

    pub fn hint(mut self, h: impl Into<String>) -> Self {
        self.hint = Some(h.into());
        self
    }
}

/// Every problem found in one pass.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Diags(pub Vec<Diag>);

impl Diags {
    pub fn one(d: Diag) -> Self {
        Self(vec![d])
    }
    pub fn push(&mut self, d: Diag) {
        self.0.push(d);
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// `Ok(v)` if nothing was found.
    pub fn into_result<T>(self, v: T) -> Result<T, Diags> {
        if self.0.is_empty() {
            Ok(v)
        } else {
            Err(self)
        }
    }
}

/// A declaration that cannot be used, with every problem located.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct DeclError {
    /// The file as named to the user.
    pub path: String,
    /// Each problem, in file order.
    pub problems: Vec<Problem>,
}

/// One located problem.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// 1-based line and column.
    pub line: usize,
    pub col: usize,
    pub message: String,
    pub hint: Option<String>,
    /// (line, column) of the calls leading to it (inside a function).
    pub called_at: Vec<(usize, usize)>,
}

impl DeclError {
    /// Locates `diags` in `text` (a diag with an empty message repeats one
    /// already reported and is dropped).
    pub fn new(path: &str, text: &str, diags: Diags) -> Self {
        let mut problems: Vec<Problem> = diags
            .0
            .into_iter()
            .filter(|d| !d.message.is_empty())
            .map(|d| {
                let (line, col) = line_col(text, d.at);
                Problem {
                    line,
                    col,
                    message: d.message,
                    hint: d.hint,
                    called_at: d.called_at.iter().map(|&a| line_col(text, a)).collect(),
                }
            })
            .collect();
        problems.sort_by_key(|p| (p.line, p.col));
        problems.dedup();
        Self {
            path: path.to_string(),
            problems,
        }
    }
}

impl fmt::Display for DeclError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (k, p) in self.problems.iter().enumerate() {
            if k > 0 {
                writeln!(f)?;
            }
            write!(f, "{}:{}:{}: {}", self.path, p.line, p.col, p.message)?;
            for (l, c) in &p.called_at {
                write!(f, "\n  note: in a function called at {}:{l}:{c}", self.path)?;
            }
            if let Some(h) = &p.hint {
                write!(f, "\n  hint: {h}")?;
            }
        }
        Ok(())
    }
}

/// 1-based line and column (in characters) of byte offset `at`.
pub fn line_col(text: &str, at: usize) -> (usize, usize) {
    let at = at.min(text.len());
    let at = (0..=at)
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0);
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let col = before
        .rfind('\n')
        .map_or(before.chars().count(), |i| before[i + 1..].chars().count())
        + 1;
    (line, col)
}
