//! The expression language of model declarations: a small grammar read by a
//! hand-written Pratt parser (no dependency; every error points at the
//! character it is about).
//!
//! ```text
//! expr    := or
//! or      := and ('||' and)*
//! and     := cmp ('&&' cmp)*
//! cmp     := sum (('<' | '<=' | '>' | '>=' | '==' | '!=') sum)?     (not chained)
//! sum     := product (('+' | '-') product)*                          (left to right)
//! product := unary (('*' | '/') unary)*                              (left to right)
//! unary   := ('-' | '!') unary | power
//! power   := atom ('^' unary)?                                       (right: 2^-x, -x^2 = -(x^2))
//! atom    := NUMBER | NAME | NAME '(' expr (',' expr)* ')' | NAME '[' index ']' | '(' expr ')'
//! index   := INTEGER | 'mode' | INTEGER '+' 'mode' | 'mode' '+' INTEGER
//! ```
//! Precedence and associativity are Python's, so a formula copied from a
//! tvb-library model parses as numpy evaluates it: `a * b / c * d` is
//! `((a·b)/c)·d`, `-a * b` is `(−a)·b`. Operations are evaluated exactly as
//! written — never reassociated, never fused — which is what makes results
//! bit-identical to the kernel the formula was copied from.

use std::fmt;

/// Byte range of a node inside its expression text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

/// Binary arithmetic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
}

/// Comparisons (give a truth value, for `if`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CmpOp {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

/// An expression as written.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A number literal, with whether it was written as an integer (an
    /// integer exponent selects repeated multiplication).
    Num {
        value: f64,
        integer: bool,
        span: Span,
    },
    /// A name: parameter, state variable, coupling term, intermediate,
    /// function argument or constant.
    Name {
        name: String,
        span: Span,
    },
    /// `NAME[k]`: element `k` of a vector parameter (or, in a model with
    /// modes, mode `k` of a state variable, coupling term or
    /// intermediate). With `mode`, `NAME[k + mode]`: `k` plus the mode
    /// being computed (`NAME[mode]` is `k = 0`); see [`crate::modes`].
    Index {
        name: String,
        index: usize,
        mode: bool,
        span: Span,
    },
    /// `NAME(args)`: a built-in or declared function.
    Call {
        name: String,
        args: Vec<Expr>,
        span: Span,
    },
    Neg {
        arg: Box<Expr>,
        span: Span,
    },
    Not {
        arg: Box<Expr>,
        span: Span,
    },
    Bin {
        op: BinOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
        span: Span,
    },
    /// `base ^ exponent`.
    Pow {
        base: Box<Expr>,
        exp: Box<Expr>,
        span: Span,
    },
    Cmp {
        op: CmpOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
        span: Span,
    },
    And {
        lhs: Box<Expr>,
        rhs: Box<Expr>,
        span: Span,
    },
    Or {
        lhs: Box<Expr>,
        rhs: Box<Expr>,
        span: Span,
    },
}

impl Expr {
    /// Where the node is in its text.
    pub fn span(&self) -> Span {
        match self {
            Expr::Num { span, .. }
            | Expr::Name { span, .. }
            | Expr::Index { span, .. }
            | Expr::Call { span, .. }
            | Expr::Neg { span, .. }
            | Expr::Not { span, .. }
            | Expr::Bin { span, .. }
            | Expr::Pow { span, .. }
            | Expr::Cmp { span, .. }
            | Expr::And { span, .. }
            | Expr::Or { span, .. } => *span,
        }
    }

    /// Every name the expression reads (not function names), in order.
    pub fn names(&self, out: &mut Vec<(String, Span)>) {
        match self {
            Expr::Num { .. } => {}
            Expr::Name { name, span } | Expr::Index { name, span, .. } => {
                out.push((name.clone(), *span))
            }
            Expr::Call { args, .. } => args.iter().for_each(|a| a.names(out)),
            Expr::Neg { arg, .. } | Expr::Not { arg, .. } => arg.names(out),
            Expr::Bin { lhs, rhs, .. }
            | Expr::Cmp { lhs, rhs, .. }
            | Expr::And { lhs, rhs, .. }
            | Expr::Or { lhs, rhs, .. } => {
                lhs.names(out);
                rhs.names(out);
            }
            Expr::Pow { base, exp, .. } => {
                base.names(out);
                exp.names(out);
            }
        }
    }

    /// Every function called, with where.
    pub fn calls(&self, out: &mut Vec<(String, Span)>) {
        match self {
            Expr::Num { .. } | Expr::Name { .. } | Expr::Index { .. } => {}
            Expr::Call { name, args, span } => {
                out.push((name.clone(), *span));
                args.iter().for_each(|a| a.calls(out));
            }
            Expr::Neg { arg, .. } | Expr::Not { arg, .. } => arg.calls(out),
            Expr::Bin { lhs, rhs, .. }
            | Expr::Cmp { lhs, rhs, .. }
            | Expr::And { lhs, rhs, .. }
            | Expr::Or { lhs, rhs, .. } => {
                lhs.calls(out);
                rhs.calls(out);
            }
            Expr::Pow { base, exp, .. } => {
                base.calls(out);
                exp.calls(out);
            }
        }
    }
}

/// A syntax error: what, and where in the expression text.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntaxError {
    pub at: usize,
    pub message: String,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.message)
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(f64, bool),
    Name(String),
    Op(&'static str),
    End,
}

struct Lexer<'a> {
    src: &'a str,
    toks: Vec<(Tok, Span)>,
}

const OPS: [&str; 19] = [
    "<=", ">=", "==", "!=", "&&", "||", "+", "-", "*", "/", "^", "(", ")", "[", "]", ",", "<", ">",
    "!",
];

impl<'a> Lexer<'a> {
    fn run(src: &'a str) -> Result<Vec<(Tok, Span)>, SyntaxError> {
        let mut l = Lexer { src, toks: vec![] };
        let b = src.as_bytes();
        let mut i = 0;
        while i < b.len() {
            let ch = b[i];
            if ch.is_ascii_whitespace() {
                i += 1;
                continue;
            }
            if ch == b'#' {
                // a comment runs to the end of the line
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            if ch.is_ascii_digit() || (ch == b'.' && b.get(i + 1).is_some_and(u8::is_ascii_digit)) {
                i = l.number(i)?;
                continue;
            }
            if ch.is_ascii_alphabetic() || ch == b'_' {
                let s = i;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                    i += 1;
                }
                l.toks
                    .push((Tok::Name(src[s..i].to_string()), Span { start: s, end: i }));
                continue;
            }
            if let Some(op) = OPS.iter().find(|op| src[i..].starts_with(**op)) {
                l.toks.push((
                    Tok::Op(op),
                    Span {
                        start: i,
                        end: i + op.len(),
                    },
                ));
                i += op.len();
                continue;
            }
            let c = src[i..].chars().next().unwrap_or('?');
            let hint = match c {
                '*' => "",
                '=' => {
                    " (a comparison is `==`; names are defined by their key, not in the expression)"
                }
                '&' | '|' => " (logical operators are `&&` and `||`)",
                _ => "",
            };
            return Err(SyntaxError {
                at: i,
                message: format!("unexpected character `{c}`{hint}"),
            });
        }
        l.toks.push((
            Tok::End,
            Span {
                start: src.len(),
                end: src.len(),
            },
        ));
        Ok(l.toks)
    }

    fn number(&mut self, s: usize) -> Result<usize, SyntaxError> {
        let b = self.src.as_bytes();
        let mut i = s;
        let mut integer = true;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i < b.len() && b[i] == b'.' {
            integer = false;
            i += 1;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
        }
        if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
            let mut j = i + 1;
            if j < b.len() && (b[j] == b'+' || b[j] == b'-') {
                j += 1;
            }
            if j < b.len() && b[j].is_ascii_digit() {
                integer = false;
                i = j;
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
            } else {
                return Err(SyntaxError {
                    at: i,
                    message: "a number's exponent needs digits (e.g. 1e-3)".into(),
                });
            }
        }
        if i < b.len() && (b[i].is_ascii_alphabetic() || b[i] == b'_') {
            return Err(SyntaxError {
                at: i,
                message: format!(
                    "a number runs into a name: `{}` (write `*` for a product)",
                    &self.src[s..(i + 1).min(self.src.len())]
                ),
            });
        }
        let text = &self.src[s..i];
        let value: f64 = text.parse().map_err(|_| SyntaxError {
            at: s,
            message: format!("`{text}` is not a number"),
        })?;
        if !value.is_finite() {
            return Err(SyntaxError {
                at: s,
                message: format!("`{text}` overflows a 64-bit float"),
            });
        }
        self.toks
            .push((Tok::Num(value, integer), Span { start: s, end: i }));
        Ok(i)
    }
}

/// Parses one expression.
pub fn parse(src: &str) -> Result<Expr, SyntaxError> {
    let toks = Lexer::run(src)?;
    let mut p = Parser {
        toks,
        pos: 0,
        depth: 0,
    };
    if matches!(p.peek(), Tok::End) {
        return Err(SyntaxError {
            at: 0,
            message: "empty expression".into(),
        });
    }
    let e = p.or()?;
    match p.peek() {
        Tok::End => Ok(e),
        t => Err(SyntaxError {
            at: p.here().start,
            message: format!("unexpected {} after a complete expression", describe(t)),
        }),
    }
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Num(..) => "number".into(),
        Tok::Name(n) => format!("name `{n}`"),
        Tok::Op(o) => format!("`{o}`"),
        Tok::End => "end of expression".into(),
    }
}

/// Deepest nesting accepted (a guard against stack exhaustion).
const MAX_DEPTH: usize = 200;

struct Parser {
    toks: Vec<(Tok, Span)>,
    pos: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> &Tok {
        &self.toks[self.pos].0
    }
    fn here(&self) -> Span {
        self.toks[self.pos].1
    }
    fn bump(&mut self) -> (Tok, Span) {
        let t = self.toks[self.pos].clone();
        if self.pos + 1 < self.toks.len() {
            self.pos += 1;
        }
        t
    }
    fn eat(&mut self, op: &str) -> bool {
        if matches!(self.peek(), Tok::Op(o) if *o == op) {
            self.bump();
            true
        } else {
            false
        }
    }
    fn expect(&mut self, op: &str, what: &str) -> Result<Span, SyntaxError> {
        let sp = self.here();
        if self.eat(op) {
            Ok(sp)
        } else {
            Err(SyntaxError {
                at: sp.start,
                message: format!("expected `{op}` {what}, found {}", describe(self.peek())),
            })
        }
    }
    fn deeper(&mut self) -> Result<(), SyntaxError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(SyntaxError {
                at: self.here().start,
                message: format!("expression nested deeper than {MAX_DEPTH} levels"),
            });
        }
        Ok(())
    }

    fn or(&mut self) -> Result<Expr, SyntaxError> {
        let mut lhs = self.and()?;
        while self.eat("||") {
            let rhs = self.and()?;
            let span = join(lhs.span(), rhs.span());
            lhs = Expr::Or {
                lhs: Box::new(lhs),
                rhs: Box::new(rhs),
                span,
            };
        }
        Ok(lhs)
    }

    fn and(&mut self) -> Result<Expr, SyntaxError> {
        let mut lhs = self.cmp()?;
        while self.eat("&&") {
            let rhs = self.cmp()?;
            let span = join(lhs.span(), rhs.span());
            lhs = Expr::And {
                lhs: Box::new(lhs),
                rhs: Box::new(rhs),
                span,
            };
        }
        Ok(lhs)
    }

    fn cmp(&mut self) -> Result<Expr, SyntaxError> {
        let lhs = self.sum()?;
        let op = match self.peek() {
            Tok::Op("<") => CmpOp::Lt,
            Tok::Op("<=") => CmpOp::Le,
            Tok::Op(">") => CmpOp::Gt,
            Tok::Op(">=") => CmpOp::Ge,
            Tok::Op("==") => CmpOp::Eq,
            Tok::Op("!=") => CmpOp::Ne,
            _ => return Ok(lhs),
        };
        self.bump();
        let rhs = self.sum()?;
        if let Tok::Op(o @ ("<" | "<=" | ">" | ">=" | "==" | "!=")) = self.peek() {
            return Err(SyntaxError {
                at: self.here().start,
                message: format!(
                    "comparisons do not chain (`a < b {o} c`): write `a < b && b {o} c`"
                ),
            });
        }
        let span = join(lhs.span(), rhs.span());
        Ok(Expr::Cmp {
            op,
            lhs: Box::new(lhs),
            rhs: Box::new(rhs),
            span,
        })
    }

    fn sum(&mut self) -> Result<Expr, SyntaxError> {
        let mut lhs = self.product()?;
        loop {
            let op = match self.peek() {
                Tok::Op("+") => BinOp::Add,
                Tok::Op("-") => BinOp::Sub,
                _ => return Ok(lhs),
            };
            self.bump();
            let rhs = self.product()?;
            let span = join(lhs.span(), rhs.span());
            lhs = Expr::Bin {
                op,
                lhs: Box::new(lhs),
                rhs: Box::new(rhs),
                span,
            };
        }
    }

    fn product(&mut self) -> Result<Expr, SyntaxError> {
        let mut lhs = self.unary()?;
        loop {
            let op = match self.peek() {
                Tok::Op("*") => BinOp::Mul,
                Tok::Op("/") => BinOp::Div,
                _ => return Ok(lhs),
            };
            self.bump();
            let rhs = self.unary()?;
            let span = join(lhs.span(), rhs.span());
            lhs = Expr::Bin {
                op,
                lhs: Box::new(lhs),
                rhs: Box::new(rhs),
                span,
            };
        }
    }

    fn unary(&mut self) -> Result<Expr, SyntaxError> {
        self.deeper()?;
        let at = self.here();
        let e = if self.eat("-") {
            let arg = self.unary()?;
            let span = join(at, arg.span());
            Expr::Neg {
                arg: Box::new(arg),
                span,
            }
        } else if self.eat("!") {
            let arg = self.unary()?;
            let span = join(at, arg.span());
            Expr::Not {
                arg: Box::new(arg),
                span,
            }
        } else {
            self.power()?
        };
        self.depth -= 1;
        Ok(e)
    }

    fn power(&mut self) -> Result<Expr, SyntaxError> {
        let base = self.atom()?;
        if self.eat("^") {
            let exp = self.unary()?;
            let span = join(base.span(), exp.span());
            return Ok(Expr::Pow {
                base: Box::new(base),
                exp: Box::new(exp),
                span,
            });
        }
        if let Tok::Op("*") = self.peek() {
            // `**` (Python's power) reads as `*` then `*`
            if matches!(self.toks.get(self.pos + 1), Some((Tok::Op("*"), _))) {
                return Err(SyntaxError {
                    at: self.here().start,
                    message: "`**` is written `^` here (x^2 is x·x; pow(x, y) is libm's pow)"
                        .into(),
                });
            }
        }
        Ok(base)
    }

    fn atom(&mut self) -> Result<Expr, SyntaxError> {
        let (t, sp) = self.bump();
        match t {
            Tok::Num(value, integer) => Ok(Expr::Num {
                value,
                integer,
                span: sp,
            }),
            Tok::Name(name) => {
                if self.eat("(") {
                    self.deeper()?;
                    let mut args = vec![];
                    if !self.eat(")") {
                        loop {
                            args.push(self.or()?);
                            if self.eat(")") {
                                break;
                            }
                            self.expect(",", &format!("or `)` in the arguments of `{name}`"))?;
                        }
                    }
                    self.depth -= 1;
                    let end = self.toks[self.pos.saturating_sub(1)].1;
                    Ok(Expr::Call {
                        name,
                        args,
                        span: join(sp, end),
                    })
                } else if self.eat("[") {
                    // k | mode | k + mode | mode + k
                    let bad = |t: &Tok, at: usize| SyntaxError {
                        at,
                        message: format!(
                            "an index is a whole number ≥ 0, `mode` or `k + mode`, found {}",
                            describe(t)
                        ),
                    };
                    let whole = |t: &Tok| match t {
                        Tok::Num(v, true) if (0.0..1e9).contains(v) => Some(*v as usize),
                        _ => None,
                    };
                    let is_mode = |t: &Tok| matches!(t, Tok::Name(n) if n == "mode");
                    let (it, isp) = self.bump();
                    let (index, mode) = if let Some(k) = whole(&it) {
                        if self.eat("+") {
                            let (t2, sp2) = self.bump();
                            if !is_mode(&t2) {
                                return Err(bad(&t2, sp2.start));
                            }
                            (k, true)
                        } else {
                            (k, false)
                        }
                    } else if is_mode(&it) {
                        if self.eat("+") {
                            let (t2, sp2) = self.bump();
                            match whole(&t2) {
                                Some(k) => (k, true),
                                None => return Err(bad(&t2, sp2.start)),
                            }
                        } else {
                            (0, true)
                        }
                    } else {
                        return Err(bad(&it, isp.start));
                    };
                    let end = self.expect("]", &format!("after the index of `{name}`"))?;
                    Ok(Expr::Index {
                        name,
                        index,
                        mode,
                        span: join(sp, end),
                    })
                } else {
                    Ok(Expr::Name { name, span: sp })
                }
            }
            Tok::Op("(") => {
                self.deeper()?;
                let e = self.or()?;
                self.expect(")", "to close the `(`")?;
                self.depth -= 1;
                Ok(e)
            }
            other => Err(SyntaxError {
                at: sp.start,
                message: format!(
                    "expected a number, a name or `(`, found {}",
                    describe(&other)
                ),
            }),
        }
    }
}

fn join(a: Span, b: Span) -> Span {
    Span {
        start: a.start.min(b.start),
        end: a.end.max(b.end),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tree as a fully parenthesised string.
    fn show(e: &Expr) -> String {
        match e {
            Expr::Num { value, .. } => format!("{value}"),
            Expr::Name { name, .. } => name.clone(),
            Expr::Index {
                name, index, mode, ..
            } => {
                if *mode {
                    format!("{name}[{index} + mode]")
                } else {
                    format!("{name}[{index}]")
                }
            }
            Expr::Call { name, args, .. } => format!(
                "{name}({})",
                args.iter().map(show).collect::<Vec<_>>().join(", ")
            ),
            Expr::Neg { arg, .. } => format!("(-{})", show(arg)),
            Expr::Not { arg, .. } => format!("(!{})", show(arg)),
            Expr::Bin { op, lhs, rhs, .. } => {
                let o = match op {
                    BinOp::Add => "+",
                    BinOp::Sub => "-",
                    BinOp::Mul => "*",
                    BinOp::Div => "/",
                };
                format!("({} {o} {})", show(lhs), show(rhs))
            }
            Expr::Pow { base, exp, .. } => format!("({} ^ {})", show(base), show(exp)),
            Expr::Cmp { lhs, rhs, .. } => format!("({} ? {})", show(lhs), show(rhs)),
            Expr::And { lhs, rhs, .. } => format!("({} && {})", show(lhs), show(rhs)),
            Expr::Or { lhs, rhs, .. } => format!("({} || {})", show(lhs), show(rhs)),
        }
    }

    #[test]
    fn precedence_and_associativity_are_pythons() {
        let cases = [
            ("a * b / c * d", "(((a * b) / c) * d)"),
            ("a + b - c + d", "(((a + b) - c) + d)"),
            ("-a * b", "((-a) * b)"),
            ("-x^2", "(-(x ^ 2))"),
            ("2^-x", "(2 ^ (-x))"),
            ("a^b^c", "(a ^ (b ^ c))"),
            ("a < b && c >= d || !e", "(((a ? b) && (c ? d)) || (!e))"),
            (
                "-(s / tau_s) + (1 - s) * h * gamma",
                "((-(s / tau_s)) + (((1 - s) * h) * gamma))",
            ),
            (
                "if(x < 0, -a*x^2 + b*x, P[3])",
                "if((x ? 0), (((-a) * (x ^ 2)) + (b * x)), P[3])",
            ),
            ("1e-3 + .5 # a comment", "(0.001 + 0.5)"),
        ];
        for (src, want) in cases {
            assert_eq!(show(&parse(src).unwrap()), want, "{src}");
        }
    }

    #[test]
    fn integer_literals_are_marked() {
        match parse("x^3").unwrap() {
            Expr::Pow { exp, .. } => assert!(matches!(*exp, Expr::Num { integer: true, .. })),
            e => panic!("{e:?}"),
        }
        match parse("x^3.0").unwrap() {
            Expr::Pow { exp, .. } => assert!(matches!(*exp, Expr::Num { integer: false, .. })),
            e => panic!("{e:?}"),
        }
    }

    #[test]
    fn errors_point_at_their_character() {
        let cases = [
            ("a + * b", 4, "expected a number"),
            ("a ** 2", 2, "`**` is written `^`"),
            ("(a + b", 6, "expected `)`"),
            ("f(a b)", 4, "expected `,`"),
            ("a < b < c", 6, "do not chain"),
            ("2x", 1, "runs into a name"),
            ("a = b", 2, "unexpected character `=`"),
            ("P[x]", 2, "whole number"),
            ("1e+", 1, "exponent needs digits"),
            ("a b", 2, "after a complete expression"),
            ("", 0, "empty"),
            ("1e999", 0, "overflows"),
        ];
        for (src, at, msg) in cases {
            let e = parse(src).unwrap_err();
            assert_eq!(e.at, at, "{src}: {e:?}");
            assert!(e.message.contains(msg), "{src}: {}", e.message);
        }
    }

    #[test]
    fn deep_nesting_is_refused_not_a_stack_overflow() {
        let src = "(".repeat(100_000) + "1" + &")".repeat(100_000);
        assert!(parse(&src).unwrap_err().message.contains("nested deeper"));
        let src = "-".repeat(100_000) + "1";
        assert!(parse(&src).unwrap_err().message.contains("nested deeper"));
    }
}
