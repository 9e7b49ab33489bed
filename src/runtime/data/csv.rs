//! Numeric CSV files: comma-separated numbers, one row per line, an optional header row
//! of column names; blank lines are skipped and cells may be quoted.

/// A CSV table of numbers, row-major.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    pub columns: Vec<String>,
    pub rows: usize,
    pub cols: usize,
    pub values: Vec<f32>,
}

/// What is wrong with a file, with its place (1-based line and column numbers).
#[derive(Clone, Debug, PartialEq)]
pub enum CsvError {
    /// A cell that is not a number; `column_name` from the header when there is one.
    NotNumber {
        line: usize,
        column: usize,
        column_name: Option<String>,
        cell: String,
        first_row: bool,
    },
    /// A row with a different number of cells from the first.
    Ragged {
        line: usize,
        found: usize,
        expected: usize,
    },
    /// No rows at all (not even a header).
    Empty,
}

impl std::fmt::Display for CsvError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CsvError::NotNumber {
                line,
                column,
                column_name,
                cell,
                ..
            } => {
                write!(f, "row {line}, column {column}")?;
                if let Some(n) = column_name {
                    write!(f, " (`{n}`)")?;
                }
                write!(f, " is not a number: {cell:?}")
            }
            CsvError::Ragged {
                line,
                found,
                expected,
            } => {
                write!(
                    f,
                    "row {line} has {found} cells, the first row has {expected}"
                )
            }
            CsvError::Empty => write!(f, "the file has no rows"),
        }
    }
}

/// Splits one line into cells; a cell in double quotes may contain commas, and `""`
/// inside quotes is one quote.
fn split(line: &str) -> Vec<String> {
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cell.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => cells.push(std::mem::take(&mut cell)),
            _ => cell.push(c),
        }
    }
    cells.push(cell);
    cells.into_iter().map(|c| c.trim().to_string()).collect()
}

/// A cell as a number the way Python's `float` reads it (`1`, `-2.5e3`, `nan`, `inf`).
fn number(cell: &str) -> Option<f32> {
    let lower = cell.to_ascii_lowercase();
    let ok = !cell.is_empty()
        && lower
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e'))
        || matches!(
            lower.trim_start_matches(['-', '+']),
            "nan" | "inf" | "infinity"
        );
    if !ok {
        return None;
    }
    lower.parse::<f64>().ok().map(|v| v as f32)
}

/// Parses `text`; with `header`, the first non-blank row is the column names.
pub fn parse(text: &str, header: bool) -> Result<Table, CsvError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l))
        .filter(|(_, l)| !l.trim().is_empty());
    let mut columns = Vec::new();
    if header {
        match lines.next() {
            Some((_, l)) => columns = split(l),
            None => return Err(CsvError::Empty),
        }
    }
    let mut cols = if header { Some(columns.len()) } else { None };
    let mut values = Vec::new();
    let mut rows = 0;
    for (line, l) in lines {
        let cells = split(l);
        let expected = *cols.get_or_insert(cells.len());
        if cells.len() != expected {
            return Err(CsvError::Ragged {
                line,
                found: cells.len(),
                expected,
            });
        }
        for (j, cell) in cells.iter().enumerate() {
            match number(cell) {
                Some(v) => values.push(v),
                None => {
                    return Err(CsvError::NotNumber {
                        line,
                        column: j + 1,
                        column_name: columns.get(j).cloned(),
                        cell: cell.clone(),
                        first_row: rows == 0 && !header,
                    })
                }
            }
        }
        rows += 1;
    }
    if rows == 0 && !header {
        return Err(CsvError::Empty);
    }
    Ok(Table {
        columns,
        rows,
        cols: cols.unwrap_or(0),
        values,
    })
}
