//! Data in and pictures out: `.npy`/`.npz` files, CSV, plots and graph drawings, and the
//! helpers of training loops (`one_hot`, `accuracy`). The formats live in their own
//! files and know nothing of the interpreter; this file turns their errors into
//! diagnostics.

pub mod atomic;
pub mod csv;
pub mod dot;
pub mod npy;
pub mod npz;
pub mod plot;

use crate::runtime::explain;
use crate::runtime::interp::{Interp, R};
use crate::runtime::value::Value;
use crate::runtime::value::{Args, Builtin, P};
use crate::syntax::diagnostic::Diagnostic;
use crate::syntax::span::Span;
use crate::tensor::{self, Tensor};
use ndarray::{ArrayD, IxDyn};
use std::cell::RefCell;
use std::path::{Path, PathBuf};

thread_local! {
    /// The folder a program's relative paths start from, when it is not the process's
    /// working directory: a test harness runs many scripts in one process, each from its
    /// own folder, as `tsr test` runs each file from its own.
    static BASE_DIR: RefCell<Option<PathBuf>> = const { RefCell::new(None) };
}

/// Resolve a program's relative paths from `dir` on this thread (`None`: from the
/// process's working directory, as Python does).
pub fn set_base_dir(dir: Option<PathBuf>) {
    BASE_DIR.with(|b| *b.borrow_mut() = dir);
}

/// The file a program's path names: a relative path starts from the base folder.
pub fn resolve(path: &str) -> PathBuf {
    let p = Path::new(path);
    match BASE_DIR.with(|b| b.borrow().clone()) {
        Some(dir) if p.is_relative() => dir.join(p),
        _ => p.to_path_buf(),
    }
}
use std::collections::HashMap;

use P::{Kw, Opt, Req, Var, VarKw};

pub static TABLE: &[Builtin] = &[
    // ---- data
    b!("load", [Req("path"), Opt("name", "None")], "a tensor from a .npy file; from a .npz the array `name`, or a list of all in stored order", "W = load(\"w.npz\", \"W\")", f_load, Load),
    b!("torch.load", [Req("path")], "torch.load(path): the dict of named tensors that `torch.save(model.state_dict(), path)` wrote", "torch.load(\"model.pt\")", f_torch_load, ReadsFile),
    b!("save", [Req("x"), Opt("path", "None"), VarKw("arrays")], "write a tensor to a .npy file, or named tensors to a .npz: save(\"w.npz\", W=W1, b=b1)", "save(W, \"w.npy\")", f_save, Nothing),
    b!("load_csv", [Req("path"), Opt("header", "False")], "a 2-D tensor of a CSV file's numbers; header=True skips the first row (its names: `csv_columns`)", "data = load_csv(\"iris.csv\", header=True)", f_load_csv, LoadCsv),
    b!("csv_columns", [Req("path")], "the column names in the header row of a CSV file, as a list of strings", "csv_columns(\"iris.csv\")", f_csv_columns, ReadsFile),
    b!("one_hot", [Req("labels"), Opt("n", "None")], "class indices as one-hot rows of length n (default: largest label + 1)", "one_hot(y, 10)", f_one_hot, OneHot),
    b!("accuracy", [Req("logits"), Req("labels")], "the fraction of rows whose argmax is the label (indices [N] or one-hot [N, C])", "accuracy(X @ W, y)", f_accuracy, Accuracy),
    // ---- pictures
    b!("plot", [Var("series"), Kw("file", "None"), Kw("title", "None"), Kw("labels", "None")], "draw lists or 1-D tensors as a line chart: in the terminal, or to an SVG file; several as plot(a, b)", "plot(losses, file=\"loss.svg\")", f_plot, Nothing),
    b!("dot", [Req("t"), Opt("path", "None")], "the autodiff graph of t in Graphviz DOT (op, shape, gradient norm), to a file or printed", "dot(loss, \"graph.dot\")", f_dot, Nothing),
];

// ------------------------------------------------------------------ files

/// The error of a read or write in the user's words (`no such file`), without the OS's
/// error number.
fn io_reason(e: &std::io::Error, writing: bool) -> String {
    use std::io::ErrorKind::*;
    match e.kind() {
        NotFound if writing => "no such directory".into(),
        NotFound => "no such file".into(),
        PermissionDenied => "permission denied".into(),
        IsADirectory => "it is a directory".into(),
        _ => {
            let s = e.to_string();
            match s.find(" (os error") {
                Some(i) => s[..i].to_lowercase(),
                None => s.to_lowercase(),
            }
        }
    }
}

fn read_bytes(interp: &Interp, a: &Args, slot: usize, path: &str) -> R<Vec<u8>> {
    std::fs::read(resolve(path)).map_err(|e| {
        let reason = io_reason(&e, false);
        let code = if e.kind() == std::io::ErrorKind::NotFound {
            "io::not_found"
        } else {
            "io::read"
        };
        interp.fail(
            Diagnostic::error(code, format!("cannot read `{path}`: {reason}"))
                .primary(a.span(slot), reason)
                .help("paths are relative to the directory tsr runs in"),
        )
    })
}

/// Every file a program writes goes through here: atomically (`atomic::write_atomic`), so
/// a failed or killed write leaves the old file whole.
fn write_bytes(interp: &Interp, a: &Args, slot: usize, path: &str, bytes: &[u8]) -> R<()> {
    atomic::write_atomic(&resolve(path), bytes).map_err(|e| {
        let reason = io_reason(&e, true);
        interp.fail(
            Diagnostic::error("io::write", format!("cannot write `{path}`: {reason}"))
                .primary(a.span(slot), reason)
                .help("paths are relative to the directory tsr runs in; the folder must exist"),
        )
    })
}

/// A corrupt, truncated or unsupported file.
fn format_error(
    interp: &Interp,
    a: &Args,
    slot: usize,
    path: &str,
    what: String,
) -> Box<Diagnostic> {
    interp.fail(
        Diagnostic::error("io::format", format!("cannot load `{path}`: {what}"))
            .primary(a.span(slot), "this file")
            .help("tsr reads the .npy and .npz files of `numpy.save`, `numpy.savez` and `numpy.savez_compressed`"),
    )
}

/// The tensor in a `.npy` file's bytes, checked against the memory budget first.
fn tensor_from_npy(interp: &Interp, a: &Args, path: &str, bytes: &[u8]) -> R<Tensor> {
    let header = npy::read_header(bytes).map_err(|w| format_error(interp, a, 0, path, w))?;
    if header.shape.len() > crate::tensor::shape::MAX_RANK {
        return Err(interp.fail(
            Diagnostic::error(
                "shape::rank",
                format!(
                    "cannot load `{path}`: it has {} axes, tensors have at most {}",
                    header.shape.len(),
                    crate::tensor::shape::MAX_RANK
                ),
            )
            .primary(a.span(0), "this file")
            .help("reshape it in numpy before saving"),
        ));
    }
    tensor::shape::checked_numel(&header.shape).map_err(|e| a.fail(interp, e, &[]))?;
    tensor::budget::reserve(&header.shape).map_err(|e| a.fail(interp, e, &[]))?;
    let data = npy::read_data(&header, bytes).map_err(|w| format_error(interp, a, 0, path, w))?;
    Ok(Tensor::leaf(data))
}

fn f_load(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let path = a.string(interp, 0)?;
    let name = match a.get(1) {
        Some(_) => Some(a.string(interp, 1)?),
        None => None,
    };
    let bytes = read_bytes(interp, a, 0, &path)?;
    if npy::is_npy(&bytes) {
        if name.is_some() {
            return Err(interp.fail(
                Diagnostic::error(
                    "type::argument",
                    format!("`{path}` is a .npy file: it holds one array, without a name"),
                )
                .primary(a.span(1), "a name is only for .npz archives")
                .help(format!("write `load(\"{path}\")`")),
            ));
        }
        return Ok(Value::Tensor(tensor_from_npy(interp, a, &path, &bytes)?));
    }
    if !npz::is_zip(&bytes) {
        let help = if path.ends_with(".csv") || path.ends_with(".txt") {
            "for a text file of numbers use `load_csv(path)`"
        } else {
            "tsr reads the .npy and .npz files of `numpy.save`, `numpy.savez` and `numpy.savez_compressed`"
        };
        let what = if bytes.is_empty() {
            "the file is empty"
        } else {
            "not a .npy file or .npz archive (wrong magic bytes)"
        };
        return Err(interp.fail(
            Diagnostic::error("io::format", format!("cannot load `{path}`: {what}"))
                .primary(a.span(0), "this file")
                .help(help),
        ));
    }
    let entries = npz::entries(&bytes).map_err(|w| format_error(interp, a, 0, &path, w))?;
    // An f64 member is twice its f32 tensor; a header is at most a few kilobytes.
    let max_size = tensor::max_tensor_bytes()
        .saturating_mul(2)
        .saturating_add(1 << 20);
    let member = |e: &npz::Entry| -> R<Tensor> {
        let data =
            npz::read(&bytes, e, max_size).map_err(|w| format_error(interp, a, 0, &path, w))?;
        tensor_from_npy(interp, a, &format!("{path}:{}", e.name), &data)
    };
    match name {
        Some(name) => match entries.iter().find(|e| e.array_name() == name) {
            Some(e) => Ok(Value::Tensor(member(e)?)),
            None => {
                let names: Vec<String> =
                    entries.iter().map(|e| e.array_name().to_string()).collect();
                let listed: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
                let mut help = format!(
                    "it holds {}",
                    if listed.is_empty() {
                        "no arrays".to_string()
                    } else {
                        listed.join(", ")
                    }
                );
                if let Some(s) = explain::did_you_mean(&name, names.into_iter()) {
                    help = format!("did you mean `{s}`? {help}");
                }
                Err(interp.fail(
                    Diagnostic::error(
                        "io::not_found",
                        format!("`{path}` has no array named `{name}`"),
                    )
                    .primary(a.span(1), "no such array")
                    .help(help),
                ))
            }
        },
        None => {
            let mut out = Vec::with_capacity(entries.len());
            for e in &entries {
                out.push(Value::Tensor(member(e)?));
            }
            Ok(Value::list(out))
        }
    }
}

/// `torch.load(path)`: a `.npz` archive (what `save` writes for a dict) as a dict from
/// names to tensors, in the archive's order; a `.npy` file as its tensor.
fn f_torch_load(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let all = f_load(interp, a)?;
    let Value::List(items) = &all else {
        return Ok(all);
    };
    let path = a.string(interp, 0)?;
    let bytes = read_bytes(interp, a, 0, &path)?;
    let entries = npz::entries(&bytes).map_err(|w| format_error(interp, a, 0, &path, w))?;
    let mut d = crate::runtime::value::Dict::default();
    for (e, v) in entries.iter().zip(items.borrow().iter()) {
        let name: std::rc::Rc<str> = std::rc::Rc::from(e.array_name());
        d.insert(
            crate::runtime::value::Key::Str(name.clone()),
            Value::Str(name),
            v.clone(),
        );
    }
    Ok(Value::dict(d))
}

/// A tensor to save: tensors as they are, numbers and nested lists converted.
fn savable(interp: &Interp, v: &Value, span: Span) -> R<Tensor> {
    match v {
        Value::Tensor(t) => Ok(t.clone()),
        Value::Number(_) | Value::Bool(_) | Value::List(_) => {
            crate::runtime::builtins::convert::tensor_from_value(interp, v, span)
        }
        other => Err(interp.fail(
            Diagnostic::error(
                "type::argument",
                format!("`save` writes tensors, found a {}", other.kind()),
            )
            .primary(span, format!("this is a {}", other.kind())),
        )),
    }
}

fn f_save(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let usage = "use `save(x, \"x.npy\")` or `save(\"w.npz\", W=W1, b=b1)`";
    if !a.kwargs.is_empty() {
        let path = match (a.value(0), a.get(1)) {
            (Value::Str(s), None) => s.to_string(),
            _ => {
                return Err(interp.fail(
                    Diagnostic::error("type::argument", "`save` with named arrays needs the path first and nothing else before the names")
                        .primary(a.span(0), "expected the path of a .npz file here")
                        .help(usage),
                ))
            }
        };
        let path = if path.ends_with(".npz") {
            path
        } else {
            format!("{path}.npz")
        };
        let mut members = Vec::with_capacity(a.kwargs.len());
        for (name, _, v, span) in &a.kwargs {
            let t = savable(interp, v, *span)?;
            members.push((format!("{name}.npy"), npy::write(&t.data())));
        }
        return write_archive(interp, a, &path, &members);
    }
    // A dict of named tensors (PyTorch's `torch.save(model.state_dict(), path)`): an
    // archive with one member per name, at the path as given.
    if let (Value::Dict(d), Value::Str(path)) = (a.value(0), a.value(1)) {
        let mut members = Vec::new();
        for (k, v) in d.borrow().entries.iter() {
            let Value::Str(name) = k else {
                return Err(interp.fail(
                    Diagnostic::error(
                        "type::argument",
                        format!("`save` of a dict needs string keys, found a {}", k.kind()),
                    )
                    .primary(a.span(0), "a dict with a key that is not a string")
                    .help("name each tensor with a string, as `state_dict()` does"),
                ));
            };
            let t = savable(interp, v, a.span(0))?;
            members.push((format!("{name}.npy"), npy::write(&t.data())));
        }
        return write_archive(interp, a, &path, &members);
    }
    // One tensor, with the path on either side (`save(x, "x.npy")` or NumPy's order).
    let (x_slot, path_slot) = match (a.value(0), a.value(1)) {
        (_, Value::Str(_)) => (0, 1),
        (Value::Str(_), Value::None) => {
            return Err(interp.fail(
                Diagnostic::error("call::arity", "`save` needs a tensor and a path")
                    .primary(a.call, "nothing to save")
                    .help(usage),
            ))
        }
        (Value::Str(_), _) => (1, 0),
        (_, Value::None) => {
            return Err(interp.fail(
                Diagnostic::error("call::arity", "`save` is missing the path to write to")
                    .primary(a.call, "no path")
                    .help(usage),
            ))
        }
        _ => {
            return Err(interp.fail(
                Diagnostic::error("type::argument", "`save` needs a path string")
                    .primary(a.span(1), "not a string")
                    .help(usage),
            ))
        }
    };
    let t = savable(interp, &a.value(x_slot), a.span(x_slot))?;
    let path = a.string(interp, path_slot)?;
    if path.ends_with(".npz") {
        let members = vec![("arr_0.npy".to_string(), npy::write(&t.data()))];
        return write_archive(interp, a, &path, &members);
    }
    // numpy.save adds the extension when it is missing; so do we.
    let path = if path.ends_with(".npy") {
        path
    } else {
        format!("{path}.npy")
    };
    write_bytes(interp, a, path_slot, &path, &npy::write(&t.data()))?;
    Ok(Value::None)
}

fn write_archive(interp: &Interp, a: &Args, path: &str, members: &[(String, Vec<u8>)]) -> R<Value> {
    let bytes = npz::write(members).map_err(|w| {
        interp.fail(
            Diagnostic::error("limit::memory", format!("cannot write `{path}`: {w}"))
                .primary(a.callee, "in this call"),
        )
    })?;
    let slot = if matches!(a.value(0), Value::Str(_)) {
        0
    } else {
        1
    };
    write_bytes(interp, a, slot, path, &bytes)?;
    Ok(Value::None)
}

fn read_csv(interp: &Interp, a: &Args, header: bool) -> R<csv::Table> {
    let path = a.string(interp, 0)?;
    let bytes = read_bytes(interp, a, 0, &path)?;
    let text = String::from_utf8_lossy(&bytes);
    csv::parse(&text, header).map_err(|e| {
        let help = match &e {
            csv::CsvError::NotNumber {
                first_row: true, ..
            } => "the first row looks like a header: pass `header=True`".to_string(),
            csv::CsvError::NotNumber { .. } => {
                "every cell must be a number: encode text labels as numbers first".to_string()
            }
            csv::CsvError::Ragged { .. } => "every row needs the same number of cells".to_string(),
            csv::CsvError::Empty => "the file must have at least one row of numbers".to_string(),
        };
        interp.fail(
            Diagnostic::error("io::csv", format!("cannot load `{path}`: {e}"))
                .primary(a.span(0), "this file")
                .help(help),
        )
    })
}

fn f_load_csv(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let header = a.bool_or(interp, 1, false)?;
    let table = read_csv(interp, a, header)?;
    let shape = [table.rows, table.cols];
    tensor::shape::checked_numel(&shape).map_err(|e| a.fail(interp, e, &[]))?;
    tensor::budget::reserve(&shape).map_err(|e| a.fail(interp, e, &[]))?;
    let arr = ArrayD::from_shape_vec(IxDyn(&shape), table.values).map_err(|_| {
        interp.fail(
            Diagnostic::error("io::csv", "the rows do not make a rectangle")
                .primary(a.span(0), "this file"),
        )
    })?;
    Ok(Value::Tensor(Tensor::leaf(arr)))
}

fn f_csv_columns(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let path = a.string(interp, 0)?;
    let bytes = read_bytes(interp, a, 0, &path)?;
    let text = String::from_utf8_lossy(&bytes);
    // Only the header row is needed: parse the first non-blank line alone.
    let first = text
        .strip_prefix('\u{feff}')
        .unwrap_or(&text)
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    let table = csv::parse(first, true).map_err(|e| {
        interp.fail(
            Diagnostic::error("io::csv", format!("cannot read `{path}`: {e}"))
                .primary(a.span(0), "this file"),
        )
    })?;
    Ok(Value::list(
        table.columns.iter().map(|c| Value::str(c)).collect(),
    ))
}

// ------------------------------------------------------------------ training helpers

/// Checks that `v` is a class index below `n` (when given); the error names the position.
fn class_index(
    interp: &Interp,
    a: &Args,
    slot: usize,
    position: usize,
    v: f32,
    n: Option<usize>,
) -> R<usize> {
    let ok = v.fract() == 0.0 && v >= 0.0 && n.map(|n| (v as usize) < n).unwrap_or(true);
    if ok {
        return Ok(v as usize);
    }
    let want = match n {
        Some(n) => format!("a whole number from 0 to {}", n.saturating_sub(1)),
        None => "a whole number 0 or more".to_string(),
    };
    Err(interp.fail(
        Diagnostic::error(
            "value::label",
            format!(
                "label {} at position {position} is not a class index",
                crate::runtime::print::format_number(v as f64)
            ),
        )
        .primary(a.span(slot), format!("each label must be {want}"))
        .help(format!("the signature is `{}`", a.builtin.signature())),
    ))
}

fn f_one_hot(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let labels = a.tensor(interp, 0)?;
    let n = match a.get(1) {
        Some(_) => {
            let n = a.int(interp, 1)?;
            if n < 0 {
                return Err(interp.fail(
                    Diagnostic::error(
                        "type::shape",
                        format!("`one_hot` needs a class count of 0 or more, found {n}"),
                    )
                    .primary(a.span(1), "negative"),
                ));
            }
            Some(n as usize)
        }
        None => None,
    };
    let values: Vec<f32> = labels.data().iter().copied().collect();
    let mut classes = Vec::with_capacity(values.len());
    for (i, &v) in values.iter().enumerate() {
        classes.push(class_index(interp, a, 0, i, v, n)?);
    }
    let n = n.unwrap_or_else(|| classes.iter().max().map(|m| m + 1).unwrap_or(0));
    let mut shape = labels.shape();
    shape.push(n);
    if shape.len() > crate::tensor::shape::MAX_RANK {
        return Err(interp.fail(
            Diagnostic::error(
                "shape::rank",
                format!(
                    "`one_hot` would make a tensor of {} axes, the most is {}",
                    shape.len(),
                    crate::tensor::shape::MAX_RANK
                ),
            )
            .primary(a.span(0), format!("labels of {} axes", shape.len() - 1)),
        ));
    }
    let total = tensor::shape::checked_numel(&shape).map_err(|e| a.fail(interp, e, &[0]))?;
    tensor::budget::reserve(&shape).map_err(|e| a.fail(interp, e, &[0]))?;
    let mut data = vec![0f32; total];
    for (i, c) in classes.into_iter().enumerate() {
        data[i * n + c] = 1.0;
    }
    let arr = ArrayD::from_shape_vec(IxDyn(&shape), data).expect("size checked above");
    Ok(Value::Tensor(Tensor::leaf(arr)))
}

/// The shape rule of `accuracy`: logits [N, C], labels [N] or [N, C]. `None` when they fit;
/// shared with `tsr check`.
fn accuracy_shape_problem(ls: &[usize], ys: &[usize]) -> Option<String> {
    if ls.len() != 2 {
        return Some(format!("logits need 2 axes, found {}", ls.len()));
    }
    let (n, c) = (ls[0], ls[1]);
    match ys {
        [m] if *m == n => None,
        [m, k] if *m == n && *k == c => None,
        _ => Some(format!("the labels do not fit {n} rows of {c} classes")),
    }
}

/// The error for `accuracy` of logits `ls` and labels `ys` when their shapes do not fit
/// (run and check alike).
pub fn accuracy_shape_error(
    ls: &[usize],
    ys: &[usize],
    callee: Span,
    logits: Span,
    labels: Span,
) -> Option<Diagnostic> {
    let why = accuracy_shape_problem(ls, ys)?;
    Some(accuracy_shape_diag(ls, ys, &why, callee, logits, labels))
}

fn accuracy_shape_diag(
    ls: &[usize],
    ys: &[usize],
    why: &str,
    callee: Span,
    logits: Span,
    labels: Span,
) -> Diagnostic {
    Diagnostic::error("shape::accuracy", format!("`accuracy` of {} and {}: {why}", explain::shape_str(ls), explain::shape_str(ys)))
        .primary(callee, "in this call")
        .label(logits, format!("logits {}", explain::shape_str(ls)))
        .label(labels, format!("labels {}", explain::shape_str(ys)))
        .help("logits are [N, C] (one row of scores per example); labels are class indices [N] or one-hot rows [N, C]")
}

fn f_accuracy(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let logits = a.tensor(interp, 0)?;
    let labels = a.tensor(interp, 1)?;
    let (ls, ys) = (logits.shape(), labels.shape());
    let shape_error = |why: String| {
        interp.fail(accuracy_shape_diag(
            &ls,
            &ys,
            &why,
            a.callee,
            a.span(0),
            a.span(1),
        ))
    };
    if let Some(d) = accuracy_shape_error(&ls, &ys, a.callee, a.span(0), a.span(1)) {
        return Err(interp.fail(d));
    }
    let (n, c) = (ls[0], ls[1]);
    let one_hot = ys.len() == 2;
    if n == 0 {
        return Err(interp.fail(
            Diagnostic::error("value::empty", "`accuracy` of no rows").primary(a.span(0), "0 rows"),
        ));
    }
    if c == 0 {
        return Err(shape_error(
            "there are no classes to choose from".to_string(),
        ));
    }
    // Row-major copies (`iter` walks in logical order whatever the layout).
    let scores: Vec<f32> = logits.data().iter().copied().collect();
    let targets: Vec<f32> = labels.data().iter().copied().collect();
    let argmax = |row: &[f32]| -> usize {
        // The first largest value, NaN counting as largest (as PyTorch does).
        let mut best = 0;
        for (j, &v) in row.iter().enumerate() {
            if row[best].is_nan() {
                break;
            }
            if v > row[best] || v.is_nan() {
                best = j;
            }
        }
        best
    };
    let mut correct = 0usize;
    for i in 0..n {
        let predicted = argmax(&scores[i * c..(i + 1) * c]);
        let label = if one_hot {
            argmax(&targets[i * c..(i + 1) * c])
        } else {
            class_index(interp, a, 1, i, targets[i], Some(c))?
        };
        correct += (predicted == label) as usize;
    }
    Ok(Value::Number(correct as f64 / n as f64))
}

// ------------------------------------------------------------------ pictures

/// One series to plot: a list of numbers or a 1-D tensor.
fn series_of(interp: &Interp, v: &Value, span: Span) -> R<Vec<f64>> {
    let bad = |what: String| {
        interp.fail(
            Diagnostic::error(
                "type::argument",
                format!("`plot` draws lists of numbers or 1-D tensors, found {what}"),
            )
            .primary(span, "this series")
            .help("record values in a list, e.g. `losses.append(item(loss))`, then `plot(losses)`"),
        )
    };
    match v {
        Value::Tensor(t) if t.ndim() == 1 => Ok(t.data().iter().map(|&x| x as f64).collect()),
        Value::Tensor(t) => Err(interp.fail(
            Diagnostic::error(
                "type::argument",
                format!(
                    "`plot` draws lists of numbers or 1-D tensors, found a {}-D tensor",
                    t.ndim()
                ),
            )
            .primary(span, format!("shape {}", explain::shape_str(&t.shape())))
            .help("plot one row, e.g. `plot(x[0])`, or `flatten(x)` first"),
        )),
        Value::List(l) => {
            let items = l.borrow();
            let mut out = Vec::with_capacity(items.len());
            for it in items.iter() {
                match crate::runtime::eval::as_number(it) {
                    Some(x) => out.push(x),
                    None => match it {
                        Value::Tensor(t) if t.numel() == 1 => {
                            out.push(t.item().unwrap_or(f32::NAN) as f64)
                        }
                        other => return Err(bad(format!("a list containing a {}", other.kind()))),
                    },
                }
            }
            Ok(out)
        }
        other => Err(bad(format!("a {}", other.kind()))),
    }
}

fn f_plot(interp: &mut Interp, a: &mut Args) -> R<Value> {
    // `plot(a, b)` or `plot([a, b])`: a single list whose items are all sequences is a
    // list of series.
    let mut given: Vec<(Value, Span)> = a.rest.clone();
    if let [(Value::List(l), span)] = given.as_slice() {
        let items = l.borrow().clone();
        let nested = !items.is_empty()
            && items.iter().all(|v| {
                matches!(v, Value::List(_)) || matches!(v, Value::Tensor(t) if t.ndim() == 1)
            });
        if nested {
            let span = *span;
            given = items.into_iter().map(|v| (v, span)).collect();
        }
    }
    if given.is_empty() {
        return Err(interp.fail(
            Diagnostic::error("call::arity", "`plot` needs at least one series")
                .primary(a.call, "nothing to plot")
                .help("write `plot(losses)`"),
        ));
    }
    if given.len() > plot::MAX_SERIES {
        return Err(interp.fail(
            Diagnostic::error(
                "type::argument",
                format!(
                    "`plot` draws at most {} series, found {}",
                    plot::MAX_SERIES,
                    given.len()
                ),
            )
            .primary(a.call, "too many series"),
        ));
    }
    let mut series = Vec::with_capacity(given.len());
    for (v, span) in &given {
        let s = series_of(interp, v, *span)?;
        if s.is_empty() {
            return Err(interp.fail(
                Diagnostic::error("value::empty", "`plot` of an empty series")
                    .primary(*span, "no values")
                    .help("append values before plotting"),
            ));
        }
        series.push(s);
    }
    let title = match a.get(2) {
        Some(_) => Some(a.string(interp, 2)?),
        None => None,
    };
    let names: Vec<String> = match a.get(3) {
        None => Vec::new(),
        Some(Value::List(l)) => l.borrow().iter().map(|v| v.display()).collect(),
        Some(Value::Str(s)) => vec![s.to_string()],
        Some(other) => {
            return Err(interp.fail(
                Diagnostic::error(
                    "type::argument",
                    format!("`labels` needs a list of names, found a {}", other.kind()),
                )
                .primary(a.span(3), ""),
            ))
        }
    };
    if !names.is_empty() && names.len() != series.len() {
        return Err(interp.fail(
            Diagnostic::error(
                "type::argument",
                format!("{} labels for {} series", names.len(), series.len()),
            )
            .primary(a.span(3), "one label per series"),
        ));
    }
    let no_values = |w: String| {
        interp.fail(
            Diagnostic::error("value::plot", format!("cannot plot: {w}"))
                .primary(a.callee, "in this call"),
        )
    };
    match a.get(1) {
        Some(_) => {
            let path = a.string(interp, 1)?;
            let svg = plot::svg(&series, &names, title.as_deref()).map_err(no_values)?;
            write_bytes(interp, a, 1, &path, svg.as_bytes())?;
        }
        None => {
            let text = plot::text(&series, &names, title.as_deref()).map_err(no_values)?;
            if plot::has_display() {
                let svg = plot::svg(&series, &names, title.as_deref()).map_err(no_values)?;
                let _ = std::io::Write::flush(&mut interp.out);
                plot::show(&svg, &text);
            } else {
                interp.write_out(&text)?;
            }
        }
    }
    Ok(Value::None)
}

fn f_dot(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let t = match a.value(0) {
        Value::Tensor(t) => t,
        other => {
            return Err(interp.fail(
                Diagnostic::error(
                    "type::argument",
                    format!("`dot` draws a tensor's graph, found a {}", other.kind()),
                )
                .primary(a.span(0), format!("this is a {}", other.kind())),
            ))
        }
    };
    // Name the tensors that variables hold (first name in sorted order wins).
    let mut names: HashMap<u64, String> = HashMap::new();
    for name in interp.visible_names() {
        if let Some(binding) = interp.lookup(&name) {
            if let Value::Tensor(v) = &binding.value {
                names.entry(v.id()).or_insert(name);
            }
        }
    }
    let text = dot::dot(&t, interp.grads.as_ref(), &names);
    match a.get(1) {
        Some(_) => {
            let path = a.string(interp, 1)?;
            write_bytes(interp, a, 1, &path, text.as_bytes())?;
        }
        None => interp.write_out(&text)?,
    }
    Ok(Value::None)
}
