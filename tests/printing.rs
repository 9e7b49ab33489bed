//! Tensor printing must match PyTorch's `str(tensor)` byte for byte.
//!
//! The source of truth, checked without Python: `tests/fixtures/printing.json`, written
//! by `tests/fixtures/gen_printing.py` from real PyTorch output (see that script for the
//! format). The conformance table of the shared folder (outside the repository) is run
//! by `.ci/run`, not here: `cargo test` needs nothing beside the clone.

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
