//! Numeric text files — connectome matrices, region centres, initial
//! conditions — read as a stream with the limits of graph files: each line
//! at most so long, at most the rows the matrix's declared or first-row
//! size allows (so a compressed member that inflates to gigabytes is
//! refused after its first lines, not after inflating), UTF-8 only, every
//! error located to the file, line and column.
//!
//! Errors never quote the file beyond a short token that already looks
//! like a number (`1.2.3`): a path such as `initial_conditions =
//! "/etc/shadow"` must not print what the file holds.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use crate::error::ModelError;

/// Largest connectome, regions: 16384 (a weights matrix of 2 GiB in f64).
/// Matrices of initial conditions have at most this many columns too.
pub const MAX_REGIONS: usize = 16384;

/// Longest line, bytes, before a matrix's width is known: room for
/// [`MAX_REGIONS`] numbers of 63 characters and their separators.
pub const MAX_LINE_BYTES: usize = MAX_REGIONS * 64;

/// Bytes of blank and comment lines a file may hold in all.
pub const MAX_SKIPPED_BYTES: usize = 1 << 20;

/// A dense row-major matrix read from a text file.
#[derive(Debug, Clone, PartialEq)]
pub struct Matrix {
    pub rows: usize,
    pub cols: usize,
    pub data: Vec<f64>,
}

/// The shape a matrix must have, as far as it is known before reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Any, up to [`MAX_REGIONS`] rows and columns.
    Any,
    /// N×N, N (≤ [`MAX_REGIONS`]) given by the first row.
    Square,
    /// Exactly `rows × cols`.
    Exact(usize, usize),
}

fn err(path: &Path, loc: Option<(usize, usize)>, cause: String) -> ModelError {
    ModelError::DataFile {
        path: path.to_path_buf(),
        loc,
        cause,
    }
}

/// What a token that is not a number is, without quoting the file: the
/// token itself only when it is short and made of characters of numbers.
pub fn describe_token(tok: &str) -> String {
    let numberish = tok.len() <= 16
        && tok
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | '.' | 'e' | 'E'));
    if numberish {
        format!("`{tok}`")
    } else {
        let n = tok.chars().count();
        format!(
            "{n} character{} that do{} not form a number",
            if n == 1 { "" } else { "s" },
            if n == 1 { "es" } else { "" }
        )
    }
}

/// Lines of a text stream, each at most `max` bytes, blank and `#` lines
/// skipped (at most [`MAX_SKIPPED_BYTES`] of them), 1-based line numbers.
struct Lines<'a, R> {
    input: R,
    path: &'a Path,
    buf: Vec<u8>,
    line: usize,
    skipped: usize,
}

impl<'a, R: BufRead> Lines<'a, R> {
    fn new(input: R, path: &'a Path) -> Self {
        Self {
            input,
            path,
            buf: vec![],
            line: 0,
            skipped: 0,
        }
    }

    /// The next line with content, or None at the end.
    fn next(&mut self, max: usize) -> Result<Option<(usize, &str)>, ModelError> {
        loop {
            self.buf.clear();
            self.line += 1;
            let n = (&mut self.input)
                .take(max as u64 + 1)
                .read_until(b'\n', &mut self.buf)
                .map_err(|e| err(self.path, Some((self.line, 1)), format!("cannot read: {e}")))?;
            if n == 0 {
                return Ok(None);
            }
            if self.buf.len() > max && self.buf.last() != Some(&b'\n') {
                return Err(err(
                    self.path,
                    Some((self.line, 1)),
                    format!("line is longer than {max} bytes"),
                ));
            }
            let skip = {
                let text = std::str::from_utf8(&self.buf).map_err(|e| {
                    let col = String::from_utf8_lossy(&self.buf[..e.valid_up_to()])
                        .chars()
                        .count()
                        + 1;
                    err(self.path, Some((self.line, col)), "not UTF-8 text".into())
                })?;
                let t = text.trim();
                t.is_empty() || t.starts_with('#')
            };
            if skip {
                self.skipped += n;
                if self.skipped > MAX_SKIPPED_BYTES {
                    return Err(err(
                        self.path,
                        Some((self.line, 1)),
                        format!("more than {MAX_SKIPPED_BYTES} bytes of blank or comment lines"),
                    ));
                }
                continue;
            }
            let text = std::str::from_utf8(&self.buf).unwrap_or_default();
            return Ok(Some((self.line, text.trim_end_matches(['\n', '\r']))));
        }
    }
}

/// The fields of a line, split on commas and whitespace, with their
/// 1-based character columns. An ASCII line (every connectome tvb-data
/// ships) is split byte by byte, where a column is the byte's index + 1;
/// any other line character by character with Unicode's whitespace.
fn fields(line: &str) -> Fields<'_> {
    Fields {
        line,
        pos: 0,
        col: 0,
        ascii: line.is_ascii(),
    }
}

/// The iterator of [`fields`]: the next field's start is searched from
/// byte `pos`, which is character column `col` (0-based).
struct Fields<'a> {
    line: &'a str,
    pos: usize,
    col: usize,
    ascii: bool,
}

/// What separates fields: a comma or whitespace (for ASCII, exactly the
/// bytes [`char::is_whitespace`] accepts: space, `\t`, `\n`, VT, FF, `\r`).
fn ascii_sep(b: u8) -> bool {
    matches!(b, b',' | b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

impl<'a> Iterator for Fields<'a> {
    type Item = (usize, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        let line = self.line;
        if self.ascii {
            let b = line.as_bytes();
            let mut i = self.pos;
            while i < b.len() && ascii_sep(b[i]) {
                i += 1;
            }
            if i == b.len() {
                self.pos = i;
                return None;
            }
            let s = i;
            while i < b.len() && !ascii_sep(b[i]) {
                i += 1;
            }
            self.pos = i;
            // ASCII: byte boundaries are character boundaries
            return Some((s + 1, &line[s..i]));
        }
        let sep = |c: char| c == ',' || c.is_whitespace();
        let mut it = line[self.pos..].char_indices();
        let (s, sc) = loop {
            let (i, c) = it.next()?;
            self.col += 1;
            if !sep(c) {
                break (self.pos + i, self.col);
            }
        };
        let mut end = line.len();
        for (i, c) in it {
            if sep(c) {
                end = self.pos + i;
                break;
            }
            self.col += 1;
        }
        // the separator that ended the field is counted when it is passed
        self.pos = end;
        Some((sc, &line[s..end]))
    }
}

/// A finite number, or an error located at `(line, col)`.
fn number(path: &Path, what: &str, line: usize, col: usize, tok: &str) -> Result<f64, ModelError> {
    match tok.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        Ok(_) => Err(err(
            path,
            Some((line, col)),
            format!("{what}: expected a finite number, found NaN or an infinity"),
        )),
        Err(_) => Err(err(
            path,
            Some((line, col)),
            format!("{what}: expected a number, found {}", describe_token(tok)),
        )),
    }
}

/// Reads a whitespace- or comma-separated matrix of finite numbers of the
/// given shape (`what` names it in errors). Reading stops at the first
/// line more than the shape allows.
pub fn read_matrix(
    input: impl Read,
    path: &Path,
    what: &str,
    shape: Shape,
) -> Result<Matrix, ModelError> {
    let mut lines = Lines::new(BufReader::new(input), path);
    let mut data: Vec<f64> = Vec::new();
    let (mut rows, mut cols) = (0usize, None::<usize>);
    let mut max_rows = match shape {
        Shape::Exact(r, _) => r,
        _ => MAX_REGIONS,
    };
    let mut max_line = MAX_LINE_BYTES;
    while let Some((ln, text)) = lines.next(max_line)? {
        if rows == max_rows {
            let why = match (shape, cols) {
                (Shape::Square, Some(c)) => format!("a square matrix of {c} columns has {c} rows"),
                (Shape::Exact(r, c), _) => format!("{r}×{c} expected"),
                _ => format!("at most {MAX_REGIONS} rows"),
            };
            return Err(err(
                path,
                Some((ln, 1)),
                format!("{what}: more rows than expected ({why})"),
            ));
        }
        let start = data.len();
        let width = match (cols, shape) {
            (Some(c), _) | (None, Shape::Exact(_, c)) => c,
            _ => MAX_REGIONS,
        };
        for (col, tok) in fields(text) {
            let v = number(path, what, ln, col, tok)?;
            if data.len() - start == width {
                return Err(err(
                    path,
                    Some((ln, col)),
                    format!("{what}: line {ln} has more than {width} values"),
                ));
            }
            data.push(v);
        }
        let n = data.len() - start;
        match cols {
            None => {
                if let Shape::Exact(_, c) = shape {
                    if n != c {
                        return Err(err(
                            path,
                            Some((ln, 1)),
                            format!("{what}: line {ln} has {n} values, {c} expected"),
                        ));
                    }
                }
                if shape == Shape::Square {
                    max_rows = n;
                }
                // a row of n numbers takes at most 64 bytes each
                max_line = n
                    .saturating_mul(64)
                    .saturating_add(1024)
                    .min(MAX_LINE_BYTES);
                if shape != Shape::Any {
                    let want = max_rows.saturating_mul(n);
                    data.try_reserve_exact(want.saturating_sub(data.len()))
                        .map_err(|_| {
                            err(
                                path,
                                Some((ln, 1)),
                                format!("{what}: no memory for {max_rows}×{n} values"),
                            )
                        })?;
                }
                cols = Some(n);
            }
            Some(c) if c != n => {
                return Err(err(
                    path,
                    Some((ln, 1)),
                    format!("{what}: line {ln} has {n} values, earlier lines have {c}"),
                ))
            }
            _ => {}
        }
        rows += 1;
    }
    if let Shape::Exact(r, c) = shape {
        if rows != r {
            return Err(err(
                path,
                None,
                format!("{what}: {rows} rows, {r}×{c} expected"),
            ));
        }
    }
    Ok(Matrix {
        rows,
        cols: cols.unwrap_or(0),
        data,
    })
}

/// [`read_matrix`] from a regular file (not a FIFO or device, which could
/// block or never end).
pub fn read_matrix_file(path: &Path, what: &str, shape: Shape) -> Result<Matrix, ModelError> {
    read_matrix(open_regular(path)?, path, what, shape)
}

/// Opens a regular file for reading.
pub fn open_regular(path: &Path) -> Result<std::fs::File, ModelError> {
    let meta = std::fs::metadata(path).map_err(|e| err(path, None, e.to_string()))?;
    if !meta.is_file() {
        return Err(err(path, None, "not a regular file".into()));
    }
    std::fs::File::open(path).map_err(|e| err(path, None, e.to_string()))
}

/// Parses a matrix held in memory (any shape).
pub fn parse_matrix(path: &Path, what: &str, text: &str) -> Result<Matrix, ModelError> {
    read_matrix(text.as_bytes(), path, what, Shape::Any)
}

/// Reads TVB's `centres.txt` (`label x y z` per line) or the CSV form
/// `label,x,y,z` with an optional header: labels and centres (mm), at most
/// [`MAX_REGIONS`] of them.
pub fn read_centres(
    input: impl Read,
    path: &Path,
) -> Result<(Vec<String>, Vec<[f64; 3]>), ModelError> {
    let mut lines = Lines::new(BufReader::new(input), path);
    let mut labels = Vec::new();
    let mut centres = Vec::new();
    let mut first = true;
    while let Some((ln, text)) = lines.next(4096)? {
        let toks: Vec<(usize, &str)> = fields(text).collect();
        if first
            && toks
                .first()
                .is_some_and(|t| t.1.eq_ignore_ascii_case("label"))
        {
            first = false;
            continue;
        }
        first = false;
        if toks.len() != 4 {
            return Err(err(
                path,
                Some((ln, 1)),
                format!(
                    "centres: expected 4 fields `label x y z`, found {}",
                    toks.len()
                ),
            ));
        }
        if labels.len() == MAX_REGIONS {
            return Err(err(
                path,
                Some((ln, 1)),
                format!("centres: more than {MAX_REGIONS} regions"),
            ));
        }
        let mut xyz = [0.0; 3];
        for (k, (col, tok)) in toks[1..].iter().enumerate() {
            xyz[k] = number(path, "centres", ln, *col, tok)?;
        }
        labels.push(toks[0].1.to_string());
        centres.push(xyz);
    }
    Ok((labels, centres))
}

/// Reads rows of `label v1 v2 …` (whitespace or commas), each with one of
/// the value counts in `widths` (all rows the same), as tvb-data's sensor
/// files (`label x y z`, MEG's `label x y z ox oy oz`): labels and values,
/// at most `max_rows` rows, every error located.
pub fn read_labelled_rows(
    input: impl Read,
    path: &Path,
    what: &str,
    widths: &[usize],
    max_rows: usize,
) -> Result<(Vec<String>, Vec<Vec<f64>>), ModelError> {
    let mut lines = Lines::new(BufReader::new(input), path);
    let mut labels = Vec::new();
    let mut rows: Vec<Vec<f64>> = Vec::new();
    let want = |w: &[usize]| {
        w.iter()
            .map(|n| format!("{}", n + 1))
            .collect::<Vec<_>>()
            .join(" or ")
    };
    while let Some((ln, text)) = lines.next(4096)? {
        let toks: Vec<(usize, &str)> = fields(text).collect();
        let width = toks.len().saturating_sub(1);
        let ok = match rows.first() {
            Some(r) => width == r.len(),
            None => widths.contains(&width),
        };
        if !ok {
            let expected = match rows.first() {
                Some(r) => format!("{} as the lines before", r.len() + 1),
                None => want(widths),
            };
            return Err(err(
                path,
                Some((ln, 1)),
                format!(
                    "{what}: expected {expected} fields (a label and its values), found {}",
                    toks.len()
                ),
            ));
        }
        if rows.len() == max_rows {
            return Err(err(
                path,
                Some((ln, 1)),
                format!("{what}: more than {max_rows} rows"),
            ));
        }
        let mut vals = Vec::with_capacity(width);
        for (col, tok) in &toks[1..] {
            vals.push(number(path, what, ln, *col, tok)?);
        }
        labels.push(toks[0].1.to_string());
        rows.push(vals);
    }
    Ok((labels, rows))
}

/// [`read_centres`] of a text held in memory.
pub fn parse_centres(path: &Path, text: &str) -> Result<(Vec<String>, Vec<[f64; 3]>), ModelError> {
    read_centres(text.as_bytes(), path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(r: Result<Matrix, ModelError>) -> String {
        r.unwrap_err().to_string()
    }

    #[test]
    fn errors_are_located_and_do_not_quote_the_file() {
        let p = Path::new("f.csv");
        let e = msg(parse_matrix(p, "weights", "1,2\n3,secret-token\n"));
        assert_eq!(
            e,
            "f.csv:2:3: weights: expected a number, found 12 characters that do not form a number"
        );
        let e = msg(parse_matrix(p, "weights", "# c\n\n  1 2.3.4\n"));
        assert_eq!(e, "f.csv:3:5: weights: expected a number, found `2.3.4`");
        let e = msg(parse_matrix(p, "weights", "1 nan\n"));
        assert_eq!(
            e,
            "f.csv:1:3: weights: expected a finite number, found NaN or an infinity"
        );
        let e = msg(parse_matrix(p, "weights", "1,2\n3\n"));
        assert!(
            e.contains("f.csv:2:1: weights: line 2 has 1 values, earlier lines have 2"),
            "{e}"
        );
        let e = msg(read_matrix(&b"1 2\n\xff\n"[..], p, "w", Shape::Any));
        assert!(e.contains("f.csv:2:1: not UTF-8 text"), "{e}");
        let e = parse_centres(p, "rA1 1 2\n").unwrap_err().to_string();
        assert_eq!(
            e,
            "f.csv:1:1: centres: expected 4 fields `label x y z`, found 3"
        );
    }

    /// The fields and columns of the character-by-character split (the
    /// reader before its ASCII fast path), for comparison.
    fn fields_by_char(line: &str) -> Vec<(usize, &str)> {
        let (mut col, mut start, mut out) = (0, None, vec![]);
        for (i, c) in line.char_indices() {
            col += 1;
            match (c == ',' || c.is_whitespace(), start) {
                (true, Some((s, sc))) => {
                    out.push((sc, &line[s..i]));
                    start = None;
                }
                (false, None) => start = Some((i, col)),
                _ => {}
            }
        }
        if let Some((s, sc)) = start {
            out.push((sc, &line[s..]));
        }
        out
    }

    #[test]
    fn fields_and_columns_as_split_by_character() {
        for line in [
            "",
            "   ",
            "1 2,3",
            " 1.5e-3,, -2\t\x0b4\x0c5\r",
            ",a,b,",
            "0.1 2 3 \r\n",
            "é 1,ü\u{a0}2\u{2003}3 x",
            "\u{85}7 日本,8",
            "x\u{1f600}y 9",
        ] {
            assert_eq!(
                fields(line).collect::<Vec<_>>(),
                fields_by_char(line),
                "{line:?}"
            );
        }
    }

    /// A reader that counts the bytes taken from it.
    struct Counting<R>(R, std::rc::Rc<std::cell::Cell<usize>>);
    impl<R: Read> Read for Counting<R> {
        fn read(&mut self, b: &mut [u8]) -> std::io::Result<usize> {
            let n = self.0.read(b)?;
            self.1.set(self.1.get() + n);
            Ok(n)
        }
    }

    #[test]
    fn reading_stops_at_the_declared_size() {
        let p = Path::new("bomb.txt");
        let count = std::rc::Rc::new(std::cell::Cell::new(0));
        // 400 MB of "0 0\n" rows (never in memory): a square 2×2 matrix
        // is refused at row 3
        let bomb = RepeatRows(100_000_000);
        let e = msg(read_matrix(
            Counting(bomb, count.clone()),
            p,
            "weights",
            Shape::Square,
        ));
        assert!(
            e.contains("bomb.txt:3:1: weights: more rows than expected (a square matrix of 2 columns has 2 rows)"),
            "{e}"
        );
        assert!(count.get() < 1 << 20, "read {} bytes", count.get());
        // one endless line: refused at its length limit
        count.set(0);
        let line = Counting(std::io::repeat(b'1').take(1 << 30), count.clone());
        let e = msg(read_matrix(line, p, "weights", Shape::Square));
        assert!(e.contains("bomb.txt:1:1: line is longer than"), "{e}");
        assert!(
            count.get() < 4 * MAX_LINE_BYTES,
            "read {} bytes",
            count.get()
        );
        // exact shapes: too many columns, too few rows
        let e = msg(read_matrix(&b"1 2 3\n"[..], p, "ic", Shape::Exact(2, 2)));
        assert!(
            e.contains("bomb.txt:1:5: ic: line 1 has more than 2 values"),
            "{e}"
        );
        let e = msg(read_matrix(&b"1 2\n"[..], p, "ic", Shape::Exact(2, 2)));
        assert!(e.contains("bomb.txt: ic: 1 rows, 2×2 expected"), "{e}");
    }

    /// `n` lines of "0 0\n".
    struct RepeatRows(usize);
    impl Read for RepeatRows {
        fn read(&mut self, b: &mut [u8]) -> std::io::Result<usize> {
            let mut k = 0;
            while self.0 > 0 && k + 4 <= b.len() {
                b[k..k + 4].copy_from_slice(b"0 0\n");
                k += 4;
                self.0 -= 1;
            }
            Ok(k)
        }
    }
}
