//! `tsr test --bless`: the new expectation block of a unit that failed, the file with
//! only those blocks replaced (every other byte kept), and an atomic write.

use super::compare::WILDCARD;
use super::expect::{lines, Block, Unit};
use std::io::Write;
use std::path::Path;

/// What the run of one unit printed and raised.
pub struct Actual<'a> {
    pub output: &'a [String],
    pub codes: &'a [String],
}

/// The expected output lines that `actual` should be written as, keeping the shape of
/// the old block: lines before its first `...` and after its last `...` are taken from
/// the output and the `...` stays, when the output is long enough.
fn blessed_output(old: &[String], actual: &[String]) -> Vec<String> {
    let first = old.iter().position(|l| l == WILDCARD);
    let last = old.iter().rposition(|l| l == WILDCARD);
    if let (Some(first), Some(last)) = (first, last) {
        let (head, tail) = (first, old.len() - last - 1);
        if actual.len() >= head + tail {
            let mut out: Vec<String> = actual[..head].to_vec();
            out.push(WILDCARD.to_string());
            out.extend_from_slice(&actual[actual.len() - tail..]);
            return out;
        }
    }
    actual.to_vec()
}

/// The lines (without line breaks) of the new block of a unit that failed: its output
/// as `#>` lines if the old block checked output, then a `#!` line per diagnostic. A
/// unit without a block gets only `#!` lines.
pub fn new_block(block: Option<&Block>, actual: &Actual) -> Vec<String> {
    let indent = block.map_or("", |b| b.indent.as_str());
    let mut out = Vec::new();
    if let Some(b) = block.filter(|b| b.checks_output) {
        for line in blessed_output(&b.output, actual.output) {
            let line = line.trim_end();
            out.push(if line.is_empty() {
                format!("{indent}#>")
            } else {
                format!("{indent}#> {line}")
            });
        }
    }
    for code in actual.codes {
        out.push(format!("{indent}#! {code}"));
    }
    if !out.is_empty() {
        if let Some(tol) = block.and_then(|b| b.tol_line.as_ref()) {
            out.insert(0, tol.clone());
        }
    }
    out
}

/// `text` with the block of each unit in `changes` replaced by its new lines (or the
/// new lines inserted under the unit when it had no block).
pub fn rewrite(text: &str, changes: &[(&Unit, Vec<String>)]) -> String {
    let lines = lines(text);
    // The line break the file uses, from the first line that has one.
    let newline = match lines.iter().find(|l| l.end_with_break > l.end) {
        Some(l) => &text[l.end..l.end_with_break],
        None => "\n",
    };
    let mut out = String::with_capacity(text.len() + 256);
    let mut pos = 0;
    for (unit, new) in changes {
        let (from, to) = match &unit.block {
            Some(b) => (b.first_line, b.end_line),
            None => (unit.last_line + 1, unit.last_line + 1),
        };
        let start = lines.get(from).map_or(text.len(), |l| l.start);
        let end = lines.get(to).map_or(text.len(), |l| l.start);
        out.push_str(&text[pos..start]);
        if !new.is_empty() && !out.is_empty() && !out.ends_with('\n') {
            out.push_str(newline);
        }
        // A block that ended the file without a line break ends it so again.
        let had_break = to == 0 || lines.get(to - 1).is_none_or(|l| l.end_with_break > l.end);
        for (i, line) in new.iter().enumerate() {
            out.push_str(line);
            if i + 1 < new.len() || had_break || end < text.len() {
                out.push_str(newline);
            }
        }
        pos = end;
    }
    out.push_str(&text[pos..]);
    out
}

// ---------------------------------------------------------------------------------
// PRIVATE atomic write. To be replaced by the shared `write_atomic` helper that is being
// added in `src/runtime/data/atomic.rs` on another branch, once that is merged.
// ---------------------------------------------------------------------------------

/// Write `contents` to `path` atomically: a temporary file in the same folder, flushed
/// to disk, then renamed over `path` (keeping `path`'s permissions). A reader sees the
/// old file or the new one, never a half-written one.
pub fn write_atomic(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tsr-bless", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(contents)?;
        if let Ok(meta) = std::fs::metadata(path) {
            f.set_permissions(meta.permissions())?;
        }
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::super::compare::Tolerance;
    use super::super::expect::parse;
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn only_blocks_change() {
        let text = "x = 1  # one\nx + 1\n#> 3\n#> 4\nx\n";
        let e = parse(text, Tolerance::default());
        let unit = &e.units[1];
        let new = new_block(
            unit.block.as_ref(),
            &Actual {
                output: &s(&["2"]),
                codes: &[],
            },
        );
        assert_eq!(
            rewrite(text, &[(unit, new)]),
            "x = 1  # one\nx + 1\n#> 2\nx\n"
        );
        let unit = &e.units[2];
        let new = new_block(
            None,
            &Actual {
                output: &[],
                codes: &s(&["name::unknown"]),
            },
        );
        assert_eq!(
            rewrite(text, &[(unit, new)]),
            "x = 1  # one\nx + 1\n#> 3\n#> 4\nx\n#! name::unknown\n"
        );
    }

    #[test]
    fn no_final_line_break_and_crlf() {
        let text = "1 + 1\r\n#> 3";
        let e = parse(text, Tolerance::default());
        let unit = &e.units[0];
        let new = new_block(
            unit.block.as_ref(),
            &Actual {
                output: &s(&["2"]),
                codes: &[],
            },
        );
        assert_eq!(rewrite(text, &[(unit, new)]), "1 + 1\r\n#> 2");
        let text = "y";
        let e = parse(text, Tolerance::default());
        let new = new_block(
            None,
            &Actual {
                output: &[],
                codes: &s(&["name::unknown"]),
            },
        );
        assert_eq!(rewrite(text, &[(&e.units[0], new)]), "y\n#! name::unknown");
    }

    #[test]
    fn wildcards_keep_their_place() {
        let old = s(&["a", "...", "z"]);
        assert_eq!(
            blessed_output(&old, &s(&["b", "c", "d", "y"])),
            s(&["b", "...", "y"])
        );
        assert_eq!(blessed_output(&old, &s(&["b"])), s(&["b"]));
    }
}
