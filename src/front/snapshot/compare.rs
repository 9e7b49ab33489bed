//! Comparing printed text with expected text: numbers within a tolerance, everything
//! else exactly; `...` lines that match any run of lines; and a line diff to show.
//! The golden tests (`tests/common`) use the same number scanner and tolerance.

/// How far a printed number may be from the expected one: `atol + rtol·|expected|`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tolerance {
    pub atol: f64,
    pub rtol: f64,
}

impl Default for Tolerance {
    /// The conformance suite's tolerance: `1e-3 + 2e-3·|x|`.
    fn default() -> Self {
        Tolerance {
            atol: 1e-3,
            rtol: 2e-3,
        }
    }
}

impl Tolerance {
    /// Whether `got` is within this tolerance of `want` (NaN matches NaN, infinities
    /// match themselves).
    pub fn accepts(&self, got: f64, want: f64) -> bool {
        got == want
            || (got.is_nan() && want.is_nan())
            || (got - want).abs() <= self.atol + self.rtol * want.abs()
    }
}

/// A number found in text: its byte range and value.
#[derive(Clone, Debug, PartialEq)]
pub struct Number {
    pub start: usize,
    pub end: usize,
    pub value: f64,
}

impl Number {
    /// Written without a `.` or an exponent: compared exactly (sizes, counts, indices).
    fn is_integer(&self, text: &str) -> bool {
        !text[self.start..self.end].contains(['.', 'e', 'E'])
    }
}

/// The numbers in `text`: an optional sign, digits with an optional fraction (`1`,
/// `0.5`, `.5`, `1.`), an optional exponent.
pub fn scan_numbers(text: &str) -> Vec<Number> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let start = i;
        let mut j = i;
        if j < b.len() && (b[j] == b'-' || b[j] == b'+') {
            j += 1;
        }
        let digits_start = j;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        let mut had_digits = j > digits_start;
        if j < b.len() && b[j] == b'.' {
            let k = j + 1;
            let mut m = k;
            while m < b.len() && b[m].is_ascii_digit() {
                m += 1;
            }
            if had_digits || m > k {
                had_digits = true;
                j = m;
            }
        }
        if !had_digits {
            i = start + 1;
            continue;
        }
        if j < b.len() && (b[j] == b'e' || b[j] == b'E') {
            let mut k = j + 1;
            if k < b.len() && (b[k] == b'-' || b[k] == b'+') {
                k += 1;
            }
            let ds = k;
            while k < b.len() && b[k].is_ascii_digit() {
                k += 1;
            }
            if k > ds {
                j = k;
            }
        }
        if let Ok(value) = text[start..j].parse::<f64>() {
            out.push(Number {
                start,
                end: j,
                value,
            });
        }
        i = j;
    }
    out
}

/// The numbers in `text` with the text each was written as.
pub fn numbers(text: &str) -> Vec<(f64, String)> {
    scan_numbers(text)
        .into_iter()
        .map(|n| (n.value, text[n.start..n.end].to_string()))
        .collect()
}

/// Whether the printed line `actual` matches the expected line `expected`: the same
/// text between numbers (ignoring the width of the space beside a number, which
/// column alignment changes, and trailing space), the same number of numbers, each
/// within `tol` — or equal when both are written as integers.
pub fn line_matches(expected: &str, actual: &str, tol: Tolerance) -> bool {
    let (expected, actual) = (expected.trim_end(), actual.trim_end());
    if expected == actual {
        return true;
    }
    let (en, an) = (scan_numbers(expected), scan_numbers(actual));
    if en.len() != an.len() {
        return false;
    }
    let mut e_pos = 0;
    let mut a_pos = 0;
    for (i, (e, a)) in en.iter().zip(&an).enumerate() {
        let (e_gap, a_gap) = (&expected[e_pos..e.start], &actual[a_pos..a.start]);
        let (e_gap, a_gap) = if i == 0 {
            (e_gap.trim_end(), a_gap.trim_end())
        } else {
            (e_gap.trim(), a_gap.trim())
        };
        if e_gap != a_gap {
            return false;
        }
        let same = if e.is_integer(expected) && a.is_integer(actual) {
            e.value == a.value
        } else {
            tol.accepts(a.value, e.value)
        };
        if !same {
            return false;
        }
        e_pos = e.end;
        a_pos = a.end;
    }
    let (e_tail, a_tail) = (&expected[e_pos..], &actual[a_pos..]);
    if en.is_empty() {
        e_tail == a_tail
    } else {
        e_tail.trim_start() == a_tail.trim_start()
    }
}

/// The expected line that matches any run of lines (none included).
pub const WILDCARD: &str = "...";

/// Whether the printed lines match the expected lines, where a `...` line matches any
/// run of lines.
pub fn lines_match(expected: &[String], actual: &[String], tol: Tolerance) -> bool {
    // ok[j]: expected[..i] matches actual[..j], for the current i.
    let mut ok = vec![false; actual.len() + 1];
    ok[0] = true;
    for e in expected {
        let mut next = vec![false; actual.len() + 1];
        if e == WILDCARD {
            let mut any = false;
            for j in 0..=actual.len() {
                any |= ok[j];
                next[j] = any;
            }
        } else {
            for j in 1..=actual.len() {
                next[j] = ok[j - 1] && line_matches(e, &actual[j - 1], tol);
            }
        }
        ok = next;
        if !ok.iter().any(|&b| b) {
            return false;
        }
    }
    ok[actual.len()]
}

/// Text split into lines; a last line without a line break still counts.
pub fn split_lines(text: &str) -> Vec<String> {
    text.lines().map(str::to_string).collect()
}

/// One line of a diff.
#[derive(Clone, Debug, PartialEq)]
pub enum DiffLine {
    Same(String),
    Expected(String),
    Actual(String),
    /// Unchanged lines left out.
    Skipped(usize),
}

/// Above this many cells the diff does not search for common lines.
const MAX_DIFF_CELLS: usize = 4_000_000;
/// Unchanged lines shown on each side of a change.
const CONTEXT: usize = 2;

/// A line diff of expected against actual: the fewest lines removed and added, lines
/// equal when they match within `tol`, a `...` line standing for the lines it matches;
/// unchanged runs are cut to a little context.
pub fn diff(expected: &[String], actual: &[String], tol: Tolerance) -> Vec<DiffLine> {
    let (n, m) = (expected.len(), actual.len());
    let mut raw = Vec::new();
    if n.saturating_mul(m) > MAX_DIFF_CELLS {
        raw.extend(expected.iter().cloned().map(DiffLine::Expected));
        raw.extend(actual.iter().cloned().map(DiffLine::Actual));
        return cut_context(raw);
    }
    let same =
        |i: usize, j: usize| expected[i] != WILDCARD && line_matches(&expected[i], &actual[j], tol);
    // cost[i][j]: turning expected[i..] into actual[j..], a removed or added line costing
    // 2 and a line a `...` stands for 1, so that lines match where they can.
    let mut cost = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..=n).rev() {
        for j in (0..=m).rev() {
            cost[i][j] = if i == n {
                2 * (m - j) as u32
            } else if expected[i] == WILDCARD {
                let skip = cost[i + 1][j];
                if j < m {
                    skip.min(1 + cost[i][j + 1])
                } else {
                    skip
                }
            } else {
                let mut best = 2 + cost[i + 1][j];
                if j < m {
                    best = best.min(2 + cost[i][j + 1]);
                    if same(i, j) {
                        best = best.min(cost[i + 1][j + 1]);
                    }
                }
                best
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        if i < n && expected[i] == WILDCARD {
            if j < m && cost[i][j] == 1 + cost[i][j + 1] {
                j += 1; // the `...` matches this line
            } else {
                raw.push(DiffLine::Same(WILDCARD.to_string()));
                i += 1;
            }
        } else if i < n && j < m && same(i, j) && cost[i][j] == cost[i + 1][j + 1] {
            raw.push(DiffLine::Same(actual[j].clone()));
            i += 1;
            j += 1;
        } else if i < n && cost[i][j] == 2 + cost[i + 1][j] {
            raw.push(DiffLine::Expected(expected[i].clone()));
            i += 1;
        } else {
            raw.push(DiffLine::Actual(actual[j].clone()));
            j += 1;
        }
    }
    cut_context(raw)
}

fn cut_context(raw: Vec<DiffLine>) -> Vec<DiffLine> {
    let changed: Vec<usize> = raw
        .iter()
        .enumerate()
        .filter(|(_, l)| !matches!(l, DiffLine::Same(_)))
        .map(|(i, _)| i)
        .collect();
    let near = |i: usize| changed.iter().any(|&c| c.abs_diff(i) <= CONTEXT);
    let mut out = Vec::new();
    let mut skipped = 0;
    for (i, line) in raw.into_iter().enumerate() {
        if matches!(line, DiffLine::Same(_)) && !near(i) {
            skipped += 1;
            continue;
        }
        if skipped > 0 {
            out.push(DiffLine::Skipped(skipped));
            skipped = 0;
        }
        out.push(line);
    }
    if skipped > 0 {
        out.push(DiffLine::Skipped(skipped));
    }
    out
}

/// A diff as text, each line indented by `indent`: `-` expected (red), `+` actual
/// (green), colour only when `color`.
pub fn render_diff(lines: &[DiffLine], indent: &str, color: bool) -> String {
    let (red, green, dim, reset) = if color {
        ("\x1b[31m", "\x1b[32m", "\x1b[2m", "\x1b[0m")
    } else {
        ("", "", "", "")
    };
    let mut out = String::new();
    for line in lines {
        let text = match line {
            DiffLine::Same(s) => format!("{indent}  {s}"),
            DiffLine::Expected(s) => format!("{red}{indent}- {s}{reset}"),
            DiffLine::Actual(s) => format!("{green}{indent}+ {s}{reset}"),
            DiffLine::Skipped(n) => {
                let s = if *n == 1 { "" } else { "s" };
                format!("{dim}{indent}  ({n} matching line{s}){reset}")
            }
        };
        out.push_str(text.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(lines: &[&str]) -> Vec<String> {
        lines.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn numbers_within_tolerance() {
        let t = Tolerance::default();
        assert!(line_matches("tensor([0.6000])", "tensor([0.6004])", t));
        assert!(!line_matches("tensor([0.6000])", "tensor([0.6100])", t));
        assert!(line_matches(
            "tensor([ 0.0001,  1.0000])",
            "tensor([-0.0001,  1.0000])",
            t
        ));
        assert!(!line_matches("loss 0.5", "lost 0.5", t));
        assert!(!line_matches("[4, 3]", "[4, 4]", t));
        assert!(!line_matches("1000", "1001", t), "integers compare exactly");
        assert!(line_matches("1e-05", "1.0000e-05", t));
        let tight = Tolerance {
            atol: 1e-6,
            rtol: 0.0,
        };
        assert!(!line_matches("0.5000", "0.5004", tight));
    }

    #[test]
    fn wildcards() {
        let t = Tolerance::default();
        let actual = v(&["a", "b", "c"]);
        assert!(lines_match(&v(&["a", "...", "c"]), &actual, t));
        assert!(lines_match(&v(&["..."]), &actual, t));
        assert!(lines_match(&v(&["a", "b", "c", "..."]), &actual, t));
        assert!(!lines_match(&v(&["a", "...", "b"]), &actual, t));
        assert!(!lines_match(&v(&["a", "b"]), &actual, t));
        assert!(lines_match(&v(&[]), &v(&[]), t));
    }

    #[test]
    fn diff_lets_wildcards_stand_for_lines() {
        let t = Tolerance::default();
        let d = diff(&v(&["1", "...", "4"]), &v(&["0", "1", "2", "3", "4"]), t);
        assert_eq!(
            d,
            vec![
                DiffLine::Actual("0".into()),
                DiffLine::Same("1".into()),
                DiffLine::Same("...".into()),
                DiffLine::Skipped(1),
            ]
        );
    }

    #[test]
    fn colour_only_when_asked() {
        let d = vec![DiffLine::Expected("a".into()), DiffLine::Actual("b".into())];
        assert_eq!(render_diff(&d, "  ", false), "  - a\n  + b\n");
        assert_eq!(
            render_diff(&d, "  ", true),
            "\x1b[31m  - a\x1b[0m\n\x1b[32m  + b\x1b[0m\n"
        );
    }

    #[test]
    fn diff_keeps_matching_lines_as_context() {
        let t = Tolerance::default();
        let d = diff(
            &v(&["a", "b", "c", "d", "e", "f"]),
            &v(&["a", "b", "c", "d", "e", "g"]),
            t,
        );
        assert_eq!(
            d,
            vec![
                DiffLine::Skipped(3),
                DiffLine::Same("d".into()),
                DiffLine::Same("e".into()),
                DiffLine::Expected("f".into()),
                DiffLine::Actual("g".into()),
            ]
        );
    }
}
