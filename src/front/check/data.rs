//! Shapes of data files without reading their data: the header dict of a `.npy` file,
//! and the number of columns on the first line of a CSV file; `load` and `load_csv`.

use super::args::CArgs;
use super::dims::{Dim, ANON};
use super::value::{AList, AVal};
use super::Checker;
use std::cell::RefCell;
use std::io::Read;
use std::rc::Rc;

/// The shape stored in a `.npy` file's header, e.g. `{'descr': '<f4', 'fortran_order':
/// False, 'shape': (3, 4), }`.
pub fn npy_shape(path: &str) -> Result<Vec<usize>, String> {
    let mut f =
        std::fs::File::open(crate::runtime::data::resolve(path)).map_err(|e| e.to_string())?;
    let mut head = [0u8; 10];
    f.read_exact(&mut head).map_err(|e| e.to_string())?;
    if &head[..6] != b"\x93NUMPY" {
        return Err("not a .npy file".into());
    }
    let (len, skip) = match head[6] {
        1 => (u16::from_le_bytes([head[8], head[9]]) as usize, 0),
        _ => {
            let mut more = [0u8; 2];
            f.read_exact(&mut more).map_err(|e| e.to_string())?;
            (
                u32::from_le_bytes([head[8], head[9], more[0], more[1]]) as usize,
                2,
            )
        }
    };
    let _ = skip;
    if len > 1 << 20 {
        return Err("header too large".into());
    }
    let mut dict = vec![0u8; len];
    f.read_exact(&mut dict).map_err(|e| e.to_string())?;
    let dict = String::from_utf8_lossy(&dict);
    let start = dict.find("'shape'").ok_or("no shape in the header")?;
    let rest = &dict[start..];
    let open = rest.find('(').ok_or("no shape tuple")?;
    let close = rest[open..].find(')').ok_or("no shape tuple")? + open;
    let mut shape = Vec::new();
    for part in rest[open + 1..close].split(',') {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        shape.push(
            part.trim_end_matches('L')
                .parse::<usize>()
                .map_err(|_| format!("bad size `{part}`"))?,
        );
    }
    Ok(shape)
}

/// The number of columns on the first line of a CSV file.
pub fn csv_columns(path: &str) -> Result<usize, String> {
    let f = std::fs::File::open(crate::runtime::data::resolve(path)).map_err(|e| e.to_string())?;
    let mut first = Vec::new();
    for byte in std::io::BufReader::new(f).bytes() {
        let b = byte.map_err(|e| e.to_string())?;
        if b == b'\n' || first.len() > 1 << 20 {
            break;
        }
        first.push(b);
    }
    let line = String::from_utf8_lossy(&first);
    let line = line.trim_end_matches('\r');
    if line.trim().is_empty() {
        return Err("the first line is empty".into());
    }
    Ok(line.split(',').count())
}

impl Checker {
    pub(super) fn load(&mut self, a: &mut CArgs) -> AVal {
        let path = match a.val(0) {
            AVal::Str(Some(p)) => p.to_string(),
            _ => return self.leaf(None),
        };
        if path.ends_with(".npz") {
            return match a.get(1) {
                Some(_) => self.leaf(None),
                None => AVal::List(Rc::new(RefCell::new(AList::Approx(AVal::Unknown)))),
            };
        }
        match npy_shape(&path) {
            Ok(s) => self.leaf(Some(Dim::shape(&s))),
            Err(why) => {
                self.advise(a.callee, format!("cannot read the shape stored in `{path}` ({why}): what is computed from it is not checked"), None);
                self.leaf(None)
            }
        }
    }

    /// `torch.load(path)`, `csv_columns(path)`: run when the file can be read; a file that
    /// is not there may be one the program writes first, so its result is unknown.
    pub(super) fn reads_file(&mut self, a: &mut CArgs) -> AVal {
        if !a.all_known() {
            return AVal::Unknown;
        }
        match (a.b.func)(&mut self.interp, &mut a.real) {
            Ok(v) => AVal::from_value(&v),
            Err(d) if d.code.starts_with("io::") => {
                let why = d.message.clone();
                self.advise(
                    a.callee,
                    format!("{why}: what is computed from it is not checked"),
                    None,
                );
                AVal::Unknown
            }
            Err(d) => {
                self.report(*d);
                AVal::Unknown
            }
        }
    }

    pub(super) fn load_csv(&mut self, a: &mut CArgs) -> AVal {
        let origin = a.callee.to(a.span(0));
        let rows = match self.csv_rows.get(&origin.start) {
            Some(&r) => r,
            None => {
                let r = self.st.syms.fresh(origin);
                self.csv_rows.insert(origin.start, r);
                r
            }
        };
        let cols = match a.val(0) {
            AVal::Str(Some(p)) => match csv_columns(&p) {
                Ok(c) => Dim::Known(c),
                Err(why) => {
                    self.advise(a.callee, format!("cannot read the header line of `{p}` ({why}): its number of columns is not known"), None);
                    ANON
                }
            },
            _ => ANON,
        };
        self.leaf(Some(vec![rows, cols]))
    }
}
