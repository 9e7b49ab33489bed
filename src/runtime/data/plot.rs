//! Line charts of one to four series (loss histories): as deterministic text for the
//! terminal (60 × 15 cells, box-drawing lines) and as a deterministic SVG file.
//!
//! A series longer than the chart is wide is shown by the mean of each column's share of
//! values; a shorter one is interpolated linearly. Values that are not finite (a loss
//! that diverged) are left out of the chart and counted under it.

use std::cell::RefCell;
use std::fmt::Write;

/// Where `plot(...)` without a file shows its chart instead of printing the text chart:
/// the notebook kernel hands the SVG (and the text chart) to the front-end.
pub type Display = Box<dyn FnMut(&str, &str)>;

thread_local! {
    static DISPLAY: RefCell<Option<Display>> = const { RefCell::new(None) };
}

/// Install (or remove, with `None`) the display hook of this thread's interpreter.
pub fn set_display(hook: Option<Display>) {
    DISPLAY.with(|d| *d.borrow_mut() = hook);
}

/// True when a display hook is installed on this thread.
pub fn has_display() -> bool {
    DISPLAY.with(|d| d.borrow().is_some())
}

/// Hand an SVG chart and its text form to the display hook; false when there is none.
pub fn show(svg: &str, text: &str) -> bool {
    DISPLAY.with(|d| match d.borrow_mut().as_mut() {
        Some(hook) => {
            hook(svg, text);
            true
        }
        None => false,
    })
}

pub const WIDTH: usize = 60;
pub const HEIGHT: usize = 15;
pub const MAX_SERIES: usize = 4;

/// Line glyphs per series: horizontal, vertical, then the corners where a line turns
/// down-from-left (`╮`), into-right-going-down (`╰`), up-from-left (`╯`), into-right-up (`╭`).
const GLYPHS: [[char; 6]; MAX_SERIES] = [
    ['─', '│', '╮', '╰', '╯', '╭'],
    ['═', '║', '╗', '╚', '╝', '╔'],
    ['━', '┃', '┓', '┗', '┛', '┏'],
    ['-', '|', '.', '\'', '\'', '.'],
];

/// SVG line colours per series (matplotlib's first four).
const COLOURS: [&str; MAX_SERIES] = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"];

/// A number with `digits` significant digits, as Python's `'%.{digits}g'` writes it.
pub fn format_sig(v: f64, digits: usize) -> String {
    if v == 0.0 {
        return "0".into();
    }
    if !v.is_finite() {
        return if v.is_nan() {
            "nan".into()
        } else if v > 0.0 {
            "inf".into()
        } else {
            "-inf".into()
        };
    }
    // Round first, then choose fixed or scientific from the rounded exponent.
    let sci = format!("{:.*e}", digits - 1, v);
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if exp < -4 || exp >= digits as i32 {
        let m = strip_zeros(mantissa);
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{m}e{sign}{:02}", exp.abs())
    } else {
        let decimals = (digits as i32 - 1 - exp).max(0) as usize;
        strip_zeros(&format!("{v:.decimals$}"))
    }
}

fn strip_zeros(s: &str) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s.to_string()
    }
}

/// `values` resampled to `width` columns: bucket means when longer, linear
/// interpolation when shorter. Non-finite values are skipped (a column with none left
/// is `None`).
pub fn resample(values: &[f64], width: usize) -> Vec<Option<f64>> {
    let n = values.len();
    if n == 0 {
        return vec![None; width];
    }
    if n >= width {
        (0..width)
            .map(|c| {
                let (lo, hi) = (c * n / width, (c + 1) * n / width);
                let finite: Vec<f64> = values[lo..hi]
                    .iter()
                    .copied()
                    .filter(|v| v.is_finite())
                    .collect();
                (!finite.is_empty()).then(|| finite.iter().sum::<f64>() / finite.len() as f64)
            })
            .collect()
    } else {
        (0..width)
            .map(|c| {
                let t = if width == 1 {
                    0.0
                } else {
                    c as f64 * (n - 1) as f64 / (width - 1) as f64
                };
                let i = (t.floor() as usize).min(n - 1);
                let j = (i + 1).min(n - 1);
                let (a, b) = (values[i], values[j]);
                let f = t - i as f64;
                match (a.is_finite(), b.is_finite()) {
                    (true, true) => Some(a + (b - a) * f),
                    (true, false) => (f < 0.5).then_some(a),
                    (false, true) => (f >= 0.5).then_some(b),
                    (false, false) => None,
                }
            })
            .collect()
    }
}

/// The range the y axis covers: the finite values' extremes, widened when they are equal.
fn y_range(series: &[Vec<f64>]) -> Option<(f64, f64)> {
    let finite = series.iter().flatten().copied().filter(|v| v.is_finite());
    let (lo, hi) = finite.fold(None, |acc: Option<(f64, f64)>, v| match acc {
        None => Some((v, v)),
        Some((l, h)) => Some((l.min(v), h.max(v))),
    })?;
    if lo == hi {
        let pad = if lo == 0.0 { 1.0 } else { lo.abs() * 0.5 };
        return Some((lo - pad, hi + pad));
    }
    Some((lo, hi))
}

fn count_not_finite(series: &[Vec<f64>]) -> usize {
    series.iter().flatten().filter(|v| !v.is_finite()).count()
}

/// The chart as text. `series` must hold 1 to `MAX_SERIES` series of at least one value;
/// `names` label them in a legend (shown when there are several series or any names).
pub fn text(series: &[Vec<f64>], names: &[String], title: Option<&str>) -> Result<String, String> {
    // The y axis covers what is drawn: the columns' values, not the raw extremes.
    let columns: Vec<Vec<Option<f64>>> = series.iter().map(|s| resample(s, WIDTH)).collect();
    let drawn: Vec<Vec<f64>> = columns
        .iter()
        .map(|c| c.iter().flatten().copied().collect())
        .collect();
    let (lo, hi) = y_range(&drawn).ok_or("no finite values to plot")?;
    let rows = HEIGHT - 1;
    let row_of = |v: f64| -> usize {
        ((hi - v) / (hi - lo) * rows as f64)
            .round()
            .clamp(0.0, rows as f64) as usize
    };
    let mut grid = vec![vec![' '; WIDTH]; HEIGHT];
    for (s, cols) in columns.iter().enumerate() {
        let g = GLYPHS[s];
        for c in 0..WIDTH {
            let Some(v) = cols[c] else { continue };
            let y0 = row_of(v);
            // Each cell joins this column's value to the next one's (asciichart's rule).
            let y1 = match cols.get(c + 1).copied().flatten() {
                Some(next) => row_of(next),
                None => y0,
            };
            if y0 == y1 {
                grid[y0][c] = g[0];
                continue;
            }
            let (top, bottom) = (y0.min(y1), y0.max(y1));
            if y1 > y0 {
                // Going down: turn down at y0, arrive at y1 going right.
                grid[y0][c] = g[2];
                grid[y1][c] = g[3];
            } else {
                grid[y0][c] = g[4];
                grid[y1][c] = g[5];
            }
            for row in grid.iter_mut().take(bottom).skip(top + 1) {
                row[c] = g[1];
            }
        }
    }
    // Labels on every other row, 4 significant digits, right-aligned.
    let labels: Vec<Option<String>> = (0..HEIGHT)
        .map(|r| (r % 2 == 0).then(|| format_sig(hi - (hi - lo) * r as f64 / rows as f64, 4)))
        .collect();
    let label_width = labels
        .iter()
        .flatten()
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(1);
    let mut out = String::new();
    if let Some(t) = title {
        let pad = (label_width + 2 + WIDTH).saturating_sub(t.chars().count()) / 2;
        let _ = writeln!(out, "{}{t}", " ".repeat(pad));
    }
    for (r, row) in grid.iter().enumerate() {
        let line: String = row.iter().collect();
        let (label, axis) = match &labels[r] {
            Some(l) => (l.as_str(), '┤'),
            None => ("", '│'),
        };
        let _ = writeln!(out, "{label:>label_width$} {axis}{}", line.trim_end());
    }
    // The x axis: ticks at the first, middle and last column, labelled with the index
    // (0-based) of the value there.
    let n = series.iter().map(|s| s.len()).max().unwrap_or(1);
    let ticks = [0, WIDTH / 2, WIDTH - 1];
    let mut axis: Vec<char> = vec!['─'; WIDTH];
    for &t in &ticks {
        axis[t] = '┬';
    }
    let _ = writeln!(
        out,
        "{} └{}",
        " ".repeat(label_width),
        axis.iter().collect::<String>()
    );
    let index_at = |c: usize| -> usize {
        if n <= 1 {
            0
        } else if n >= WIDTH {
            // The first value of the column's bucket; the last column shows the last index.
            if c == WIDTH - 1 {
                n - 1
            } else {
                c * n / WIDTH
            }
        } else {
            (c as f64 * (n - 1) as f64 / (WIDTH - 1) as f64).round() as usize
        }
    };
    let mut xlabels = vec![' '; WIDTH + 8];
    let mut free_from = 0;
    for (k, &t) in ticks.iter().enumerate() {
        let s: Vec<char> = index_at(t).to_string().chars().collect();
        let start = match k {
            0 => 0,
            2 => (t + 1).saturating_sub(s.len()),
            _ => t.saturating_sub(s.len() / 2),
        };
        if start < free_from || (k > 0 && n <= 1) {
            continue;
        }
        for (i, ch) in s.iter().enumerate() {
            xlabels[start + i] = *ch;
        }
        free_from = start + s.len() + 1;
    }
    let xl: String = xlabels.iter().collect();
    let _ = writeln!(out, "{}  {}", " ".repeat(label_width), xl.trim_end());
    if series.len() > 1 || !names.is_empty() {
        let parts: Vec<String> = (0..series.len())
            .map(|s| {
                let name = names
                    .get(s)
                    .cloned()
                    .unwrap_or_else(|| format!("series {s}"));
                format!("{}{} {name}", GLYPHS[s][0], GLYPHS[s][0])
            })
            .collect();
        let _ = writeln!(out, "{}  {}", " ".repeat(label_width), parts.join("   "));
    }
    let skipped = count_not_finite(series);
    if skipped > 0 {
        let _ = writeln!(
            out,
            "{}  ({skipped} value{} not finite, not drawn)",
            " ".repeat(label_width),
            if skipped == 1 { "" } else { "s" }
        );
    }
    Ok(out)
}

/// Round tick values covering [lo, hi]: multiples of 1, 2 or 5 × 10^k, about `count`.
fn nice_ticks(lo: f64, hi: f64, count: usize) -> Vec<f64> {
    let raw = (hi - lo) / count as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    (first..=last).map(|k| k as f64 * step).collect()
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The chart as an SVG document (640 × 400), at most 2000 points per series.
pub fn svg(series: &[Vec<f64>], names: &[String], title: Option<&str>) -> Result<String, String> {
    let (lo, hi) = y_range(series).ok_or("no finite values to plot")?;
    let (w, h) = (640.0, 400.0);
    let (left, right, top, bottom) = (70.0, 20.0, if title.is_some() { 40.0 } else { 20.0 }, 50.0);
    let (pw, ph) = (w - left - right, h - top - bottom);
    let n = series.iter().map(|s| s.len()).max().unwrap_or(1);
    let x_of = |i: f64| left + if n <= 1 { 0.0 } else { i / (n - 1) as f64 * pw };
    let y_of = |v: f64| top + (hi - v) / (hi - lo) * ph;
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(out, r#"<rect width="{w}" height="{h}" fill="white"/>"#);
    if let Some(t) = title {
        let _ = writeln!(
            out,
            r#"<text x="{:.1}" y="24" text-anchor="middle" font-size="15">{}</text>"#,
            left + pw / 2.0,
            escape(t)
        );
    }
    for v in nice_ticks(lo, hi, 5) {
        let y = y_of(v);
        let _ = writeln!(
            out,
            r##"<line x1="{left}" y1="{y:.2}" x2="{:.2}" y2="{y:.2}" stroke="#dddddd"/>"##,
            left + pw
        );
        let _ = writeln!(
            out,
            r#"<text x="{:.1}" y="{:.2}" text-anchor="end">{}</text>"#,
            left - 6.0,
            y + 4.0,
            format_sig(v, 4)
        );
    }
    if n > 1 {
        for i in nice_ticks(0.0, (n - 1) as f64, 6) {
            let x = x_of(i);
            let _ = writeln!(
                out,
                r##"<line x1="{x:.2}" y1="{:.2}" x2="{x:.2}" y2="{:.2}" stroke="#000000"/>"##,
                top + ph,
                top + ph + 5.0
            );
            let _ = writeln!(
                out,
                r#"<text x="{x:.2}" y="{:.2}" text-anchor="middle">{}</text>"#,
                top + ph + 18.0,
                format_sig(i, 6)
            );
        }
    }
    let _ = writeln!(
        out,
        r#"<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="black"/>"#
    );
    let _ = writeln!(
        out,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">step</text>"#,
        left + pw / 2.0,
        h - 10.0
    );
    for (s, values) in series.iter().enumerate() {
        // Long series are thinned to bucket means; index positions keep their scale.
        let points: Vec<(f64, f64)> = if values.len() > 2000 {
            let m = values.len();
            resample(values, 2000)
                .into_iter()
                .enumerate()
                .filter_map(|(c, v)| v.map(|v| ((c as f64 + 0.5) * m as f64 / 2000.0 - 0.5, v)))
                .collect()
        } else {
            values
                .iter()
                .enumerate()
                .filter(|(_, v)| v.is_finite())
                .map(|(i, &v)| (i as f64, v))
                .collect()
        };
        let coords: Vec<String> = points
            .iter()
            .map(|&(i, v)| format!("{:.2},{:.2}", x_of(i), y_of(v)))
            .collect();
        let _ = writeln!(
            out,
            r#"<polyline fill="none" stroke="{}" stroke-width="1.5" points="{}"/>"#,
            COLOURS[s],
            coords.join(" ")
        );
    }
    if series.len() > 1 || !names.is_empty() {
        for (s, colour) in COLOURS.iter().enumerate().take(series.len()) {
            let name = names
                .get(s)
                .cloned()
                .unwrap_or_else(|| format!("series {s}"));
            let y = top + 16.0 + 18.0 * s as f64;
            let x = left + pw - 150.0;
            let _ = writeln!(
                out,
                r#"<line x1="{x}" y1="{:.1}" x2="{}" y2="{:.1}" stroke="{}" stroke-width="2"/>"#,
                y - 4.0,
                x + 24.0,
                y - 4.0,
                colour
            );
            let _ = writeln!(
                out,
                r#"<text x="{}" y="{y:.1}">{}</text>"#,
                x + 30.0,
                escape(&name)
            );
        }
    }
    out.push_str("</svg>\n");
    Ok(out)
}
