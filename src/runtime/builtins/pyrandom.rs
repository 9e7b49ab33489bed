//! Python's `random` module and `open()` for reading text: `random.seed`, `random()`,
//! `randint`, `uniform`, `gauss`, `choice`, `shuffle`, `sample`, drawn from tsr's own
//! seeded generator (the one `seed` sets), so a script gives the same numbers on every
//! run; and `open(path)`, a read-only file whose text is read at once.

use crate::runtime::interp::{Interp, R};
use crate::runtime::value::{Args, Builtin, Value, P};
use crate::syntax::diagnostic::Diagnostic;

use P::{Kw, Opt, Req};

pub static TABLE: &[Builtin] = &[
    b!("random.seed", [Opt("a", "None")], "reset the generator (the same one `seed` sets)", "random.seed(42)", f_seed, Nothing),
    b!("random.random", [], "a number uniform in [0, 1)", "random.random()", f_random, Number),
    b!("random.randint", [Req("a"), Req("b")], "a whole number from a to b, both included", "random.randint(1, 6)", f_randint, Number),
    b!("random.uniform", [Req("a"), Req("b")], "a number uniform between a and b", "random.uniform(-1, 1)", f_uniform, Number),
    b!("random.gauss", [Opt("mu", "0"), Opt("sigma", "1")], "a number from the normal distribution", "random.gauss(0, 1)", f_gauss, Number),
    b!("random.choice", [Req("seq")], "one item of a non-empty sequence", "random.choice(words)", f_choice),
    b!("random.shuffle", [Req("list")], "shuffle a list in place", "random.shuffle(words)", f_shuffle, Nothing),
    b!("random.sample", [Req("seq"), Req("k")], "k distinct items of a sequence, in random order", "random.sample(range(10), 3)", f_sample),
    b!("open", [Req("path"), Opt("mode", "\"r\""), Kw("encoding", "None")], "a text file to read (`.read()`, `.readlines()`, or loop over its lines); tsr writes files only with `save`", "words = open(\"names.txt\").read().splitlines()", f_open),
    b!("file.read", [Req("f")], "the whole text of the file", "text = f.read()", f_read),
    b!("file.readlines", [Req("f")], "the lines of the file, each with its line break", "lines = f.readlines()", f_readlines),
    b!("file.close", [Req("f")], "close the file (its text was read when it was opened)", "f.close()", f_close, Nothing),
];

/// A whole number below `n` without bias.
fn below(interp: &mut Interp, n: u64) -> u64 {
    if n <= 1 {
        return 0;
    }
    let zone = u64::MAX - (u64::MAX % n);
    loop {
        let x = interp.rng.next_u64();
        if x < zone {
            return x % n;
        }
    }
}

fn unit(interp: &mut Interp) -> f64 {
    (interp.rng.next_u64() >> 11) as f64 * (1.0 / 9_007_199_254_740_992.0)
}

fn f_seed(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let s = match a.get(0) {
        None | Some(Value::None) => 0,
        Some(_) => a.int(interp, 0)?,
    };
    interp.rng = crate::tensor::Rng::seeded(s as u64);
    Ok(Value::None)
}

fn f_random(interp: &mut Interp, _: &mut Args) -> R<Value> {
    Ok(Value::Number(unit(interp)))
}

fn f_randint(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let (lo, hi) = (a.int(interp, 0)?, a.int(interp, 1)?);
    if hi < lo {
        return Err(interp.fail(
            Diagnostic::error(
                "value::argument",
                format!("`randint({lo}, {hi})`: the range is empty"),
            )
            .primary(a.call, "b is below a")
            .help("give a <= b; both ends are included"),
        ));
    }
    let n = (hi - lo) as u64 + 1;
    Ok(Value::Number((lo + below(interp, n) as i64) as f64))
}

fn f_uniform(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let (lo, hi) = (a.number(interp, 0)?, a.number(interp, 1)?);
    Ok(Value::Number(lo + (hi - lo) * unit(interp)))
}

fn f_gauss(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let mu = a.number_or(interp, 0, 0.0)?;
    let sigma = a.number_or(interp, 1, 1.0)?;
    Ok(Value::Number(mu + sigma * interp.rng.normal_pair().0))
}

fn f_choice(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let items = interp.iter_values(&a.value(0), a.span(0))?;
    if items.is_empty() {
        return Err(interp.fail(
            Diagnostic::error("value::empty", "`choice` of an empty sequence")
                .primary(a.span(0), "empty"),
        ));
    }
    let i = below(interp, items.len() as u64) as usize;
    Ok(items[i].clone())
}

fn f_shuffle(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let Value::List(l) = a.value(0) else {
        return Err(interp.fail(
            Diagnostic::error(
                "type::argument",
                format!("`shuffle` needs a list, found a {}", a.value(0).kind()),
            )
            .primary(a.span(0), "not a list")
            .help("shuffle a copy: `xs = list(t); random.shuffle(xs)`"),
        ));
    };
    let n = l.borrow().len();
    for i in (1..n).rev() {
        let j = below(interp, i as u64 + 1) as usize;
        l.borrow_mut().swap(i, j);
    }
    Ok(Value::None)
}

fn f_sample(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let mut items = interp.iter_values(&a.value(0), a.span(0))?;
    let k = a.int(interp, 1)?;
    if k < 0 || k as usize > items.len() {
        return Err(interp.fail(
            Diagnostic::error(
                "value::argument",
                format!("`sample` of {k} from {} items", items.len()),
            )
            .primary(a.span(1), "more than the sequence holds"),
        ));
    }
    let k = k as usize;
    for i in 0..k {
        let j = i + below(interp, (items.len() - i) as u64) as usize;
        items.swap(i, j);
    }
    items.truncate(k);
    Ok(Value::list(items))
}

fn f_open(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let path = a.string(interp, 0)?;
    let mode = match a.get(1) {
        None | Some(Value::None) => "r".to_string(),
        Some(_) => a.string(interp, 1)?,
    };
    if mode.contains(['w', 'a', 'x', '+']) {
        return Err(interp.fail(
            Diagnostic::error(
                "io::mode",
                format!("tsr opens files only to read, not with mode \"{mode}\""),
            )
            .primary(a.span(1), "a writing mode")
            .help(
                "write tensors with `save(x, \"x.npy\")`; plots with `plot(..., file=\"p.svg\")`",
            ),
        ));
    }
    let text = std::fs::read_to_string(crate::runtime::data::resolve(&path)).map_err(|e| {
        let code = if e.kind() == std::io::ErrorKind::NotFound {
            "io::not_found"
        } else {
            "io::read"
        };
        interp.fail(
            Diagnostic::error(code, format!("cannot read `{path}`: {e}"))
                .primary(a.span(0), "this file")
                .help("paths are relative to the folder tsr runs in"),
        )
    })?;
    Ok(Value::File(std::rc::Rc::new((
        path,
        std::rc::Rc::from(text.as_str()),
    ))))
}

fn file_text(interp: &Interp, a: &Args) -> R<std::rc::Rc<str>> {
    match a.value(0) {
        Value::File(f) => Ok(f.1.clone()),
        other => Err(interp.fail(
            Diagnostic::error(
                "type::argument",
                format!("expected a file, found a {}", other.kind()),
            )
            .primary(a.span(0), "not a file"),
        )),
    }
}

fn f_read(interp: &mut Interp, a: &mut Args) -> R<Value> {
    Ok(Value::Str(file_text(interp, a)?))
}

fn f_readlines(interp: &mut Interp, a: &mut Args) -> R<Value> {
    let text = file_text(interp, a)?;
    Ok(Value::list(
        text.split_inclusive('\n').map(Value::str).collect(),
    ))
}

fn f_close(_: &mut Interp, _: &mut Args) -> R<Value> {
    Ok(Value::None)
}
