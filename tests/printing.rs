//! Tensor printing must match PyTorch's `str(tensor)` byte for byte.
//!
//! Two sources of truth, both checked without Python:
//! * `tests/fixtures/printing.json`, written by `tests/fixtures/gen_printing.py` from
//!   real PyTorch output (see that script for the format);
//! * the shared conformance table `../shared/conformance/printing/cases.json`, whose
//!   `tsr` expressions are evaluated here by a tiny interpreter for the few forms used
//!   (`tensor(...)` literals, `arange`, `zeros`, `ones`, `eye`, `.reshape`, `/`, `log`).

use ndarray::{ArrayD, IxDyn};
use tsr::print::format_tensor;

// ---------------------------------------------------------------------------------------
// A tiny JSON reader (objects, arrays, strings, numbers, true/false/null).

#[derive(Debug, Clone)]
#[allow(dead_code)] // the payload of `Bool` is only shown in panic messages
enum Json {
    Null,
    Bool(bool),
    Num(String),
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
}

impl Json {
    fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Obj(fields) => fields.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
    fn str(&self) -> &str {
        match self {
            Json::Str(s) => s,
            other => panic!("expected a JSON string, got {other:?}"),
        }
    }
    fn arr(&self) -> &[Json] {
        match self {
            Json::Arr(v) => v,
            other => panic!("expected a JSON array, got {other:?}"),
        }
    }
    fn int(&self) -> u64 {
        match self {
            Json::Num(s) => s
                .parse()
                .unwrap_or_else(|_| panic!("expected an integer, got {s}")),
            other => panic!("expected a JSON number, got {other:?}"),
        }
    }
    /// A fixture value: the exact f32 written as an f64 number, or "nan"/"inf"/"-inf".
    fn f32(&self) -> f32 {
        match self {
            Json::Num(s) => s
                .parse::<f64>()
                .unwrap_or_else(|_| panic!("bad number {s}")) as f32,
            Json::Str(s) => match s.as_str() {
                "nan" => f32::NAN,
                "inf" => f32::INFINITY,
                "-inf" => f32::NEG_INFINITY,
                _ => panic!("bad special value {s}"),
            },
            other => panic!("expected a value, got {other:?}"),
        }
    }
}

struct JsonParser<'a> {
    s: &'a [u8],
    i: usize,
}

impl<'a> JsonParser<'a> {
    fn parse(text: &'a str) -> Json {
        let mut p = JsonParser {
            s: text.as_bytes(),
            i: 0,
        };
        let v = p.value();
        p.ws();
        assert_eq!(p.i, p.s.len(), "trailing characters in JSON");
        v
    }
    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }
    fn eat(&mut self, c: u8) {
        self.ws();
        assert_eq!(
            self.s.get(self.i),
            Some(&c),
            "expected '{}' at byte {}",
            c as char,
            self.i
        );
        self.i += 1;
    }
    fn peek(&mut self) -> u8 {
        self.ws();
        *self.s.get(self.i).expect("unexpected end of JSON")
    }
    fn value(&mut self) -> Json {
        match self.peek() {
            b'{' => {
                self.i += 1;
                let mut fields = Vec::new();
                if self.peek() == b'}' {
                    self.i += 1;
                    return Json::Obj(fields);
                }
                loop {
                    let k = self.string();
                    self.eat(b':');
                    fields.push((k, self.value()));
                    match self.peek() {
                        b',' => self.i += 1,
                        b'}' => {
                            self.i += 1;
                            return Json::Obj(fields);
                        }
                        c => panic!("unexpected '{}' in object", c as char),
                    }
                }
            }
            b'[' => {
                self.i += 1;
                let mut items = Vec::new();
                if self.peek() == b']' {
                    self.i += 1;
                    return Json::Arr(items);
                }
                loop {
                    items.push(self.value());
                    match self.peek() {
                        b',' => self.i += 1,
                        b']' => {
                            self.i += 1;
                            return Json::Arr(items);
                        }
                        c => panic!("unexpected '{}' in array", c as char),
                    }
                }
            }
            b'"' => Json::Str(self.string()),
            b't' => self.word("true", Json::Bool(true)),
            b'f' => self.word("false", Json::Bool(false)),
            b'n' => self.word("null", Json::Null),
            _ => {
                let start = self.i;
                while self.i < self.s.len() && b"+-0123456789.eE".contains(&self.s[self.i]) {
                    self.i += 1;
                }
                assert!(self.i > start, "bad JSON value at byte {start}");
                Json::Num(String::from_utf8(self.s[start..self.i].to_vec()).unwrap())
            }
        }
    }
    fn word(&mut self, w: &str, v: Json) -> Json {
        assert!(
            self.s[self.i..].starts_with(w.as_bytes()),
            "bad literal at byte {}",
            self.i
        );
        self.i += w.len();
        v
    }
    fn hex4(&mut self) -> u32 {
        let hex = std::str::from_utf8(&self.s[self.i..self.i + 4]).unwrap();
        self.i += 4;
        u32::from_str_radix(hex, 16).expect("bad \\u escape")
    }
    fn string(&mut self) -> String {
        self.eat(b'"');
        let mut bytes: Vec<u8> = Vec::new();
        loop {
            let c = self.s[self.i];
            self.i += 1;
            let ch = match c {
                b'"' => break,
                b'\\' => {
                    let e = self.s[self.i];
                    self.i += 1;
                    match e {
                        b'n' => '\n',
                        b't' => '\t',
                        b'r' => '\r',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'/' => '/',
                        b'\\' => '\\',
                        b'"' => '"',
                        b'u' => {
                            let mut code = self.hex4();
                            if (0xd800..0xdc00).contains(&code)
                                && self.s[self.i..].starts_with(b"\\u")
                            {
                                self.i += 2;
                                let low = self.hex4();
                                code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
                            }
                            char::from_u32(code).expect("valid \\u escape")
                        }
                        other => panic!("bad escape \\{}", other as char),
                    }
                }
                _ => {
                    bytes.push(c);
                    continue;
                }
            };
            let mut buf = [0u8; 4];
            bytes.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
        }
        String::from_utf8(bytes).expect("valid UTF-8 in JSON string")
    }
}

// ---------------------------------------------------------------------------------------
// Fixtures generated by PyTorch.

fn fixture_values(case: &Json, n: usize) -> Vec<f32> {
    if let Some(data) = case.get("data") {
        return data.arr().iter().map(Json::f32).collect();
    }
    let f = case
        .get("formula")
        .expect("case has neither data nor formula");
    let mul = f.get("mul").unwrap().int();
    let modulo = f.get("mod").unwrap().int();
    let scale = f.get("scale").unwrap().f32();
    let offset = f.get("offset").unwrap().f32();
    // One f32 rounding per operation, exactly as numpy float32 did in the generator.
    let mut v: Vec<f32> = (0..n as u64)
        .map(|i| {
            let k = ((i * mul) % modulo) as f32;
            let prod = std::hint::black_box(k * scale);
            prod + offset
        })
        .collect();
    for p in f.get("patches").unwrap().arr() {
        let p = p.arr();
        v[p[0].int() as usize] = p[1].f32();
    }
    v
}

fn show_diff(what: &str, want: &str, got: &str) -> String {
    format!("--- {what}\nexpected:\n{want}\ngot:\n{got}\n")
}

#[test]
fn pytorch_fixtures() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/printing.json");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    let cases = JsonParser::parse(&text);
    let cases = cases.arr();
    assert!(cases.len() >= 100, "too few fixtures: {}", cases.len());
    let mut failures = Vec::new();
    for case in cases {
        let what = case.get("what").unwrap().str();
        let shape: Vec<usize> = case
            .get("shape")
            .unwrap()
            .arr()
            .iter()
            .map(|d| d.int() as usize)
            .collect();
        let n: usize = shape.iter().product();
        let values = fixture_values(case, n);
        assert_eq!(values.len(), n, "{what}: data length does not match shape");
        let t = ArrayD::from_shape_vec(IxDyn(&shape), values).unwrap();
        let got = format_tensor(&t);
        let want = case.get("torch").unwrap().str();
        if got != want {
            failures.push(show_diff(what, want, &got));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} PyTorch fixtures differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

// ---------------------------------------------------------------------------------------
// The shared conformance table: a tiny evaluator for its `tsr` expressions.

struct Expr<'a> {
    s: &'a [u8],
    i: usize,
}

enum Val {
    Num(f64),
    List(Vec<Val>),
    Tensor(ArrayD<f32>),
}

impl<'a> Expr<'a> {
    fn eval(src: &'a str) -> Result<ArrayD<f32>, String> {
        let mut p = Expr {
            s: src.as_bytes(),
            i: 0,
        };
        let v = p.expr()?;
        p.ws();
        if p.i != p.s.len() {
            return Err(format!("trailing input at {}", p.i));
        }
        match v {
            Val::Tensor(t) => Ok(t),
            _ => Err("expression is not a tensor".into()),
        }
    }
    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i] == b' ' {
            self.i += 1;
        }
    }
    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.s.get(self.i).copied()
    }
    fn eat(&mut self, c: u8) -> Result<(), String> {
        if self.peek() == Some(c) {
            self.i += 1;
            Ok(())
        } else {
            Err(format!("expected '{}' at {}", c as char, self.i))
        }
    }
    fn expr(&mut self) -> Result<Val, String> {
        let mut left = self.postfix()?;
        while self.peek() == Some(b'/') {
            self.i += 1;
            let right = self.postfix()?;
            let (a, b) = (to_tensor(left)?, to_tensor(right)?);
            if a.shape() != b.shape() {
                return Err("division needs equal shapes here".into());
            }
            left = Val::Tensor(ndarray::Zip::from(&a).and(&b).map_collect(|x, y| x / y));
        }
        Ok(left)
    }
    fn postfix(&mut self) -> Result<Val, String> {
        let mut v = self.primary()?;
        while self.peek() == Some(b'.')
            && self
                .s
                .get(self.i + 1)
                .is_some_and(|c| c.is_ascii_alphabetic())
        {
            self.i += 1;
            let name = self.ident();
            let args = self.args()?;
            match name.as_str() {
                "reshape" => {
                    let t = to_tensor(v)?;
                    let shape = dims(&args)?;
                    let flat: Vec<f32> = t.iter().copied().collect();
                    v = Val::Tensor(
                        ArrayD::from_shape_vec(IxDyn(&shape), flat).map_err(|e| e.to_string())?,
                    );
                }
                other => return Err(format!("unsupported method {other}")),
            }
        }
        Ok(v)
    }
    fn ident(&mut self) -> String {
        let start = self.i;
        while self.i < self.s.len()
            && (self.s[self.i].is_ascii_alphanumeric() || self.s[self.i] == b'_')
        {
            self.i += 1;
        }
        String::from_utf8(self.s[start..self.i].to_vec()).unwrap()
    }
    fn args(&mut self) -> Result<Vec<Val>, String> {
        self.eat(b'(')?;
        let mut out = Vec::new();
        if self.peek() == Some(b')') {
            self.i += 1;
            return Ok(out);
        }
        loop {
            out.push(self.expr()?);
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b')') => {
                    self.i += 1;
                    return Ok(out);
                }
                _ => return Err(format!("bad argument list at {}", self.i)),
            }
        }
    }
    fn primary(&mut self) -> Result<Val, String> {
        match self.peek() {
            Some(b'[') => {
                self.i += 1;
                let mut items = Vec::new();
                if self.peek() == Some(b']') {
                    self.i += 1;
                    return Ok(Val::List(items));
                }
                loop {
                    items.push(self.expr()?);
                    match self.peek() {
                        Some(b',') => self.i += 1,
                        Some(b']') => {
                            self.i += 1;
                            return Ok(Val::List(items));
                        }
                        _ => return Err(format!("bad list at {}", self.i)),
                    }
                }
            }
            Some(c) if c.is_ascii_digit() || c == b'-' || c == b'.' => {
                let start = self.i;
                self.i += 1;
                while self.i < self.s.len()
                    && (self.s[self.i].is_ascii_digit()
                        || self.s[self.i] == b'.'
                        || self.s[self.i] == b'e'
                        || self.s[self.i] == b'E'
                        || ((self.s[self.i] == b'-' || self.s[self.i] == b'+')
                            && matches!(self.s[self.i - 1], b'e' | b'E')))
                {
                    self.i += 1;
                }
                let text = std::str::from_utf8(&self.s[start..self.i]).unwrap();
                text.parse::<f64>()
                    .map(Val::Num)
                    .map_err(|e| format!("{text}: {e}"))
            }
            Some(c) if c.is_ascii_alphabetic() => {
                let name = self.ident();
                let args = self.args()?;
                call(&name, args)
            }
            other => Err(format!(
                "unexpected {:?} at {}",
                other.map(|c| c as char),
                self.i
            )),
        }
    }
}

fn dims(args: &[Val]) -> Result<Vec<usize>, String> {
    args.iter()
        .map(|a| match a {
            Val::Num(x) if *x >= 0.0 && x.fract() == 0.0 => Ok(*x as usize),
            _ => Err("dimension must be a non-negative integer".to_string()),
        })
        .collect()
}

fn to_tensor(v: Val) -> Result<ArrayD<f32>, String> {
    fn shape_of(v: &Val, shape: &mut Vec<usize>) {
        if let Val::List(items) = v {
            shape.push(items.len());
            if let Some(first) = items.first() {
                shape_of(first, shape);
            }
        }
    }
    fn flatten(v: &Val, depth: usize, shape: &[usize], out: &mut Vec<f32>) -> Result<(), String> {
        match v {
            Val::Num(x) if depth == shape.len() => {
                out.push(*x as f32);
                Ok(())
            }
            Val::List(items) if depth < shape.len() && items.len() == shape[depth] => items
                .iter()
                .try_for_each(|it| flatten(it, depth + 1, shape, out)),
            _ => Err("ragged or mixed tensor literal".into()),
        }
    }
    match v {
        Val::Tensor(t) => Ok(t),
        other => {
            let mut shape = Vec::new();
            shape_of(&other, &mut shape);
            let mut data = Vec::new();
            flatten(&other, 0, &shape, &mut data)?;
            ArrayD::from_shape_vec(IxDyn(&shape), data).map_err(|e| e.to_string())
        }
    }
}

fn call(name: &str, mut args: Vec<Val>) -> Result<Val, String> {
    let t = match name {
        "tensor" if args.len() == 1 => to_tensor(args.pop().unwrap())?,
        "arange" => {
            let n = dims(&args)?;
            if n.len() != 1 {
                return Err("arange(n) only".into());
            }
            ArrayD::from_shape_fn(IxDyn(&[n[0]]), |ix| ix[0] as f32)
        }
        "zeros" => ArrayD::zeros(IxDyn(&dims(&args)?)),
        "ones" => ArrayD::ones(IxDyn(&dims(&args)?)),
        "eye" => {
            let n = dims(&args)?;
            if n.len() != 1 {
                return Err("eye(n) only".into());
            }
            ArrayD::from_shape_fn(
                IxDyn(&[n[0], n[0]]),
                |ix| if ix[0] == ix[1] { 1.0 } else { 0.0 },
            )
        }
        "log" if args.len() == 1 => to_tensor(args.pop().unwrap())?.mapv(f32::ln),
        other => return Err(format!("unsupported function {other}")),
    };
    Ok(Val::Tensor(t))
}

#[test]
fn shared_conformance_cases() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/conformance/printing/cases.json"
    );
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| {
        panic!("cannot read the shared conformance table {path}: {e} (../shared must sit beside the repository)")
    });
    let cases = JsonParser::parse(&text);
    let cases = cases.arr();
    assert!(!cases.is_empty(), "no conformance cases in {path}");
    let mut failures = Vec::new();
    for case in cases {
        let what = case.get("what").map(Json::str).unwrap_or("?");
        let src = case.get("tsr").unwrap().str();
        let want = case.get("torch").unwrap().str();
        match Expr::eval(src) {
            Ok(t) => {
                let got = format_tensor(&t);
                if got != want {
                    failures.push(show_diff(&format!("{what}: {src}"), want, &got));
                }
            }
            Err(e) => failures.push(format!("--- {what}: cannot evaluate `{src}`: {e}\n")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} conformance cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
