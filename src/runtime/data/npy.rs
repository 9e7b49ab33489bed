//! NumPy's `.npy` format: reading every float, integer and bool dtype (either byte order,
//! C or Fortran order, header versions 1.0 to 3.0) into f32, and writing `<f4` arrays
//! byte for byte as `numpy.save` does.
//!
//! The format is specified in `numpy/lib/format.py`: the magic `\x93NUMPY`, two version
//! bytes, the header length (u16 for 1.0, u32 for 2.0 and 3.0), then a Python dict
//! literal `{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }` padded with
//! spaces and a newline so that the data starts at a multiple of 64 bytes.

use ndarray::{ArrayD, IxDyn, ShapeBuilder};

const MAGIC: &[u8] = b"\x93NUMPY";

/// Whether `bytes` starts like a `.npy` file.
pub fn is_npy(bytes: &[u8]) -> bool {
    bytes.starts_with(MAGIC)
}

/// The element type of a file, from its `descr`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dtype {
    /// `f`, `i`, `u` or `b`.
    pub kind: u8,
    pub size: usize,
    pub big_endian: bool,
}

/// What the header of a `.npy` file says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    pub dtype: Dtype,
    pub fortran_order: bool,
    pub shape: Vec<usize>,
    /// Where the data starts.
    pub data_offset: usize,
}

/// Parses the header of a `.npy` file; the error says what is wrong.
pub fn read_header(bytes: &[u8]) -> Result<Header, String> {
    if !is_npy(bytes) {
        return Err("not a .npy file: it does not start with the magic bytes `\\x93NUMPY`".into());
    }
    let (major, minor) = match (bytes.get(6), bytes.get(7)) {
        (Some(&a), Some(&b)) => (a, b),
        _ => return Err("truncated: the file ends inside the version bytes".into()),
    };
    let (len_size, utf8) = match major {
        1 => (2, false),
        2 => (4, false),
        3 => (4, true),
        _ => {
            return Err(format!(
                "unsupported .npy format version {major}.{minor} (1.0 to 3.0 are read)"
            ))
        }
    };
    let start = 8 + len_size;
    let Some(len_bytes) = bytes.get(8..start) else {
        return Err("truncated: the file ends inside the header length".into());
    };
    let header_len = len_bytes
        .iter()
        .rev()
        .fold(0usize, |acc, &b| acc << 8 | b as usize);
    let Some(text) = start
        .checked_add(header_len)
        .and_then(|end| bytes.get(start..end))
    else {
        return Err(format!(
            "truncated: the header says it is {header_len} bytes long, but only {} follow",
            bytes.len().saturating_sub(start)
        ));
    };
    let text = if utf8 {
        std::str::from_utf8(text)
            .map_err(|_| "the header is not valid UTF-8".to_string())?
            .to_string()
    } else {
        text.iter().map(|&b| b as char).collect()
    };
    let dict = parse_dict(&text)?;
    let mut descr = None;
    let mut fortran_order = None;
    let mut shape = None;
    for (key, value) in dict {
        match (key.as_str(), value) {
            ("descr", Lit::Str(s)) => descr = Some(s),
            ("descr", Lit::List) => {
                return Err(
                    "structured dtypes (records with named fields) are not supported".into(),
                )
            }
            ("fortran_order", Lit::Bool(b)) => fortran_order = Some(b),
            ("shape", Lit::Tuple(t)) => shape = Some(t),
            ("descr" | "fortran_order" | "shape", _) => {
                return Err(format!("the header's `{key}` has the wrong type"))
            }
            _ => return Err(format!("the header has an unexpected key `{key}`")),
        }
    }
    let descr = descr.ok_or("the header has no `descr`")?;
    let fortran_order = fortran_order.ok_or("the header has no `fortran_order`")?;
    let shape = shape.ok_or("the header has no `shape`")?;
    Ok(Header {
        dtype: parse_descr(&descr)?,
        fortran_order,
        shape,
        data_offset: start + header_len,
    })
}

fn parse_descr(descr: &str) -> Result<Dtype, String> {
    let unsupported =
        || format!("unsupported dtype `{descr}`: tsr reads float, integer and bool arrays");
    let b = descr.as_bytes();
    if b.len() < 3 {
        return Err(unsupported());
    }
    let big_endian = match b[0] {
        b'<' | b'|' | b'=' => false,
        b'>' => true,
        _ => return Err(unsupported()),
    };
    // Bytes, not `descr[2..]`: the second character may be any (multi-byte) one.
    let size: usize = std::str::from_utf8(&b[2..])
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(unsupported)?;
    let ok = match b[1] {
        b'f' => matches!(size, 2 | 4 | 8),
        b'i' | b'u' => matches!(size, 1 | 2 | 4 | 8),
        b'b' => size == 1,
        _ => false,
    };
    if !ok {
        return Err(unsupported());
    }
    Ok(Dtype {
        kind: b[1],
        size,
        big_endian,
    })
}

/// A value in the header dict. Only the shapes numpy writes are understood.
enum Lit {
    Str(String),
    Bool(bool),
    Tuple(Vec<usize>),
    /// A list (a structured dtype's descr); its contents are not needed.
    List,
}

fn parse_dict(text: &str) -> Result<Vec<(String, Lit)>, String> {
    let bad = |what: &str| format!("the header is not a valid dict literal: {what}");
    let mut p = Cursor {
        s: text.trim().as_bytes(),
        i: 0,
    };
    if !p.eat(b'{') {
        return Err(bad("it does not start with `{`"));
    }
    let mut out = Vec::new();
    loop {
        p.skip_space();
        if p.eat(b'}') {
            break;
        }
        let key = p.string().ok_or_else(|| bad("expected a quoted key"))?;
        p.skip_space();
        if !p.eat(b':') {
            return Err(bad("expected `:` after a key"));
        }
        p.skip_space();
        let value = p
            .literal()
            .ok_or_else(|| bad(&format!("cannot read the value of `{key}`")))?;
        out.push((key, value));
        p.skip_space();
        if p.eat(b',') {
            continue;
        }
        p.skip_space();
        if p.eat(b'}') {
            break;
        }
        return Err(bad("expected `,` or `}`"));
    }
    Ok(out)
}

struct Cursor<'a> {
    s: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn skip_space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }
    fn string(&mut self) -> Option<String> {
        let quote = self.peek().filter(|&q| q == b'\'' || q == b'"')?;
        self.i += 1;
        let start = self.i;
        while self.peek()? != quote {
            self.i += 1;
        }
        let s = String::from_utf8_lossy(&self.s[start..self.i]).into_owned();
        self.i += 1;
        Some(s)
    }
    fn word(&mut self) -> &[u8] {
        let start = self.i;
        while matches!(self.peek(), Some(c) if c.is_ascii_alphanumeric() || c == b'_') {
            self.i += 1;
        }
        &self.s[start..self.i]
    }
    fn literal(&mut self) -> Option<Lit> {
        match self.peek()? {
            b'\'' | b'"' => self.string().map(Lit::Str),
            b'(' => {
                self.i += 1;
                let mut dims = Vec::new();
                loop {
                    self.skip_space();
                    if self.eat(b')') {
                        return Some(Lit::Tuple(dims));
                    }
                    let digits = self.word();
                    let text = std::str::from_utf8(digits).ok()?;
                    // numpy 1.x on Windows wrote `3L`; accept the suffix.
                    dims.push(text.trim_end_matches('L').parse().ok()?);
                    self.skip_space();
                    if !self.eat(b',') {
                        self.skip_space();
                        if self.eat(b')') {
                            return Some(Lit::Tuple(dims));
                        }
                        return None;
                    }
                }
            }
            b'[' => {
                // Skip to the matching bracket, quotes included.
                let mut depth = 0;
                loop {
                    match self.peek()? {
                        b'[' | b'(' => depth += 1,
                        b']' | b')' => {
                            depth -= 1;
                            if depth == 0 {
                                self.i += 1;
                                return Some(Lit::List);
                            }
                        }
                        b'\'' | b'"' => {
                            self.string()?;
                            continue;
                        }
                        _ => {}
                    }
                    self.i += 1;
                }
            }
            _ => match self.word() {
                b"True" => Some(Lit::Bool(true)),
                b"False" => Some(Lit::Bool(false)),
                _ => None,
            },
        }
    }
}

/// Number of elements of `shape`, or `None` on overflow.
pub fn numel(shape: &[usize]) -> Option<usize> {
    shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d))
}

/// Converts the data of a file whose header is `h` to f32, in C order. The caller has
/// checked the element count against the memory budget.
pub fn read_data(h: &Header, bytes: &[u8]) -> Result<ArrayD<f32>, String> {
    let n = numel(&h.shape).ok_or("the header's shape has more elements than can be counted")?;
    let need = n
        .checked_mul(h.dtype.size)
        .ok_or("the header's shape has more bytes than can be counted")?;
    let data = bytes.get(h.data_offset..).unwrap_or(&[]);
    if data.len() < need {
        return Err(format!(
            "truncated: the header promises {need} bytes of data ({n} × {}), but only {} follow",
            descr_name(h.dtype),
            data.len()
        ));
    }
    let values: Vec<f32> = data[..need]
        .chunks_exact(h.dtype.size)
        .map(|c| convert(h.dtype, c))
        .collect();
    let shape = IxDyn(&h.shape);
    let arr = if h.fortran_order {
        ArrayD::from_shape_vec(shape.f(), values).map(|a| a.as_standard_layout().into_owned())
    } else {
        ArrayD::from_shape_vec(shape, values)
    };
    arr.map_err(|_| "the header's shape does not fit its data".to_string())
}

fn descr_name(d: Dtype) -> String {
    let order = if d.size == 1 {
        '|'
    } else if d.big_endian {
        '>'
    } else {
        '<'
    };
    format!("{order}{}{}", d.kind as char, d.size)
}

fn convert(d: Dtype, chunk: &[u8]) -> f32 {
    let mut raw = [0u8; 8];
    raw[..chunk.len()].copy_from_slice(chunk);
    if d.big_endian {
        raw[..chunk.len()].reverse();
    }
    let u = u64::from_le_bytes(raw);
    match (d.kind, d.size) {
        (b'f', 2) => half_to_f32(u as u16),
        (b'f', 4) => f32::from_bits(u as u32),
        (b'f', 8) => f64::from_bits(u) as f32,
        (b'i', 1) => u as u8 as i8 as f32,
        (b'i', 2) => u as u16 as i16 as f32,
        (b'i', 4) => u as u32 as i32 as f32,
        (b'i', 8) => u as i64 as f32,
        (b'b', _) => (u != 0) as u8 as f32,
        _ => u as f32,
    }
}

/// IEEE 754 half precision to single: exact for every value, subnormals included.
fn half_to_f32(h: u16) -> f32 {
    let sign = if h & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exp = (h >> 10) & 0x1f;
    let frac = (h & 0x3ff) as f32;
    match exp {
        0 => sign * frac * 2f32.powi(-24),
        31 if frac == 0.0 => sign * f32::INFINITY,
        31 => f32::NAN,
        e => sign * (1.0 + frac / 1024.0) * 2f32.powi(e as i32 - 15),
    }
}

/// The bytes `numpy.save` writes for this array as `<f4`, format 1.0 (rank at most 6
/// never needs the longer headers of 2.0).
pub fn write(arr: &ArrayD<f32>) -> Vec<u8> {
    let dims: Vec<String> = arr.shape().iter().map(|d| d.to_string()).collect();
    let shape = match dims.len() {
        1 => format!("({},)", dims[0]),
        _ => format!("({})", dims.join(", ")),
    };
    let mut header = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': {shape}, }}");
    // numpy leaves room for the first axis to grow to 21 digits, then pads with spaces and
    // a newline so that the data starts at a multiple of 64 (with 1 to 64 bytes of padding).
    if let Some(first) = dims.first() {
        header.push_str(&" ".repeat(21usize.saturating_sub(first.len())));
    }
    let unpadded = MAGIC.len() + 2 + 2 + header.len() + 1;
    header.push_str(&" ".repeat(64 - unpadded % 64));
    header.push('\n');
    let mut out = Vec::with_capacity(header.len() + 10 + arr.len() * 4);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[1, 0]);
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    for &x in arr.iter() {
        out.extend_from_slice(&x.to_le_bytes());
    }
    out
}
