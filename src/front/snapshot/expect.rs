//! The expectations written in a script: the `#>` (expected output) and `#!` (expected
//! diagnostic code) lines right under a top-level statement, and where each block sits
//! in the file so that `--bless` can rewrite exactly those lines.

use super::compare::Tolerance;
use crate::syntax::parser;

/// A line of the file: its byte range, without and with its line break.
#[derive(Clone, Debug)]
pub struct Line {
    pub start: usize,
    pub end: usize,
    pub end_with_break: usize,
}

/// Split `text` into lines, keeping where each line break is.
pub fn lines(text: &str) -> Vec<Line> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, b) in text.bytes().enumerate() {
        if b == b'\n' {
            let end = if i > start && text.as_bytes()[i - 1] == b'\r' {
                i - 1
            } else {
                i
            };
            out.push(Line {
                start,
                end,
                end_with_break: i + 1,
            });
            start = i + 1;
        }
    }
    if start < text.len() {
        out.push(Line {
            start,
            end: text.len(),
            end_with_break: text.len(),
        });
    }
    out
}

/// One expectation line.
#[derive(Clone, Debug, PartialEq)]
enum Mark {
    /// `#> TEXT`: a line of expected output.
    Output(String),
    /// `#! CODE`: an expected diagnostic.
    Code(String),
}

/// The expectation written on a line, if it is one (`#>` or `#!` after indentation).
fn mark(line: &str) -> Option<Mark> {
    let t = line.trim_start();
    if let Some(rest) = t.strip_prefix("#>") {
        let rest = rest.strip_prefix(' ').unwrap_or(rest);
        return Some(Mark::Output(rest.trim_end_matches('\r').to_string()));
    }
    t.strip_prefix("#!")
        .map(|rest| Mark::Code(rest.trim().to_string()))
}

/// Whether `text` has any `#>` or `#!` line.
pub fn has_marks(text: &str) -> bool {
    text.lines().any(|l| mark(l).is_some())
}

/// `tol=X` (both tolerances), `atol=X`, `rtol=X`, separated by spaces; `None` when the
/// line is anything else.
fn tolerance_directive(line: &str, default: Tolerance) -> Option<Tolerance> {
    let mut tol = default;
    let mut any = false;
    for word in line.split_whitespace() {
        let (key, value) = word.split_once('=')?;
        let x: f64 = value.parse().ok()?;
        if !(x >= 0.0 && x.is_finite()) {
            return None;
        }
        match key {
            "tol" => {
                tol.atol = x;
                tol.rtol = x;
            }
            "atol" => tol.atol = x,
            "rtol" => tol.rtol = x,
            _ => return None,
        }
        any = true;
    }
    any.then_some(tol)
}

/// The expectation lines under one unit.
#[derive(Clone, Debug)]
pub struct Block {
    /// Line indices (0-based) of the block in the file.
    pub first_line: usize,
    pub end_line: usize,
    /// The `#> tol=...` line as written, and the tolerance it sets.
    pub tol_line: Option<String>,
    pub tol: Option<Tolerance>,
    /// The expected output lines (`...` matches any run of lines).
    pub output: Vec<String>,
    /// Whether there is any `#>` output line: without one, any output passes.
    pub checks_output: bool,
    /// The expected diagnostic codes, in order.
    pub codes: Vec<String>,
    /// The indentation the block's lines are written with.
    pub indent: String,
}

/// The top-level statements that end on one line, with the block under that line.
#[derive(Clone, Debug)]
pub struct Unit {
    /// Indices of the statements in the parsed program.
    pub first_stmt: usize,
    pub end_stmt: usize,
    /// 1-based line where the first statement starts (for `file:line`).
    pub line: usize,
    /// 0-based index of the line the statements end on.
    pub last_line: usize,
    pub block: Option<Block>,
}

/// What a script expects.
#[derive(Clone, Debug, Default)]
pub struct Expectations {
    pub units: Vec<Unit>,
    /// 1-based lines of `#>`/`#!` lines that are not directly under a top-level
    /// statement (a mistake: they would check nothing).
    pub stray: Vec<usize>,
    /// False when the file has a syntax error (nothing can be matched).
    pub parsed: bool,
}

impl Expectations {
    pub fn has_blocks(&self) -> bool {
        !self.stray.is_empty() || self.units.iter().any(|u| u.block.is_some())
    }
}

fn line_of(lines: &[Line], offset: usize) -> usize {
    lines
        .partition_point(|l| l.end_with_break <= offset)
        .min(lines.len().saturating_sub(1))
}

/// Find the units of `text` and the block under each.
pub fn parse(text: &str, default: Tolerance) -> Expectations {
    let (program, errors) = parser::parse(text);
    let lines = lines(text);
    let is_mark: Vec<Option<Mark>> = lines.iter().map(|l| mark(&text[l.start..l.end])).collect();
    let mut claimed = vec![false; lines.len()];
    let mut units: Vec<Unit> = Vec::new();
    if errors.is_empty() {
        for (i, stmt) in program.stmts.iter().enumerate() {
            let start = stmt.span.start.min(text.len());
            let end = stmt.span.end.clamp(start, text.len());
            let body = text[start..end].trim_end();
            let last = line_of(&lines, (start + body.len()).saturating_sub(1).max(start));
            match units.last_mut() {
                Some(u) if u.last_line == last => u.end_stmt = i + 1,
                _ => units.push(Unit {
                    first_stmt: i,
                    end_stmt: i + 1,
                    line: line_of(&lines, start) + 1,
                    last_line: last,
                    block: None,
                }),
            }
        }
        for u in &mut units {
            let mut j = u.last_line + 1;
            let mut block = Block {
                first_line: j,
                end_line: j,
                tol_line: None,
                tol: None,
                output: Vec::new(),
                checks_output: false,
                codes: Vec::new(),
                indent: String::new(),
            };
            while let Some(Some(m)) = is_mark.get(j) {
                let raw = &text[lines[j].start..lines[j].end];
                if j == block.first_line {
                    block.indent = raw[..raw.len() - raw.trim_start().len()].to_string();
                }
                claimed[j] = true;
                match m {
                    Mark::Output(s) => {
                        let tol = (j == block.first_line)
                            .then(|| tolerance_directive(s, default))
                            .flatten();
                        if tol.is_some() {
                            block.tol = tol;
                            block.tol_line = Some(raw.to_string());
                        } else {
                            block.output.push(s.clone());
                            block.checks_output = true;
                        }
                    }
                    Mark::Code(c) => block.codes.push(c.clone()),
                }
                j += 1;
            }
            block.end_line = j;
            if j > block.first_line {
                u.block = Some(block);
            }
        }
    }
    let stray = (0..lines.len())
        .filter(|&j| is_mark[j].is_some() && !claimed[j])
        .map(|j| j + 1)
        .collect();
    Expectations {
        units,
        stray,
        parsed: errors.is_empty(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_under_statements() {
        let text = "x = 1\nx + 1\n#> 2\nfor i in range(2):\n    print(i)\n#> tol=0.1\n#> 0\n#> ...\n#! shape::matmul\n# note\n#> stray\ny = 2; y\n";
        let e = parse(text, Tolerance::default());
        assert!(e.parsed);
        assert_eq!(e.units.len(), 4);
        assert!(e.units[0].block.is_none());
        let b = e.units[1].block.as_ref().unwrap();
        assert_eq!(b.output, vec!["2"]);
        let b = e.units[2].block.as_ref().unwrap();
        assert_eq!(e.units[2].line, 4);
        assert_eq!(b.output, vec!["0", "..."]);
        assert_eq!(
            b.tol,
            Some(Tolerance {
                atol: 0.1,
                rtol: 0.1
            })
        );
        assert_eq!(b.codes, vec!["shape::matmul"]);
        assert_eq!((e.units[3].first_stmt, e.units[3].end_stmt), (3, 5));
        assert_eq!(e.stray, vec![11]);
    }

    #[test]
    fn crlf_and_no_final_break() {
        let text = "1 + 1\r\n#> 2\r\n3";
        let e = parse(text, Tolerance::default());
        assert_eq!(e.units[0].block.as_ref().unwrap().output, vec!["2"]);
        assert_eq!(e.units.len(), 2);
        assert_eq!(lines(text).len(), 3);
    }
}
