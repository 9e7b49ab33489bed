//! Symbolic sizes and calls of the real shape rules. A size known only at run time is a
//! sentinel `usize` (`SYM_BASE + k`) inside ordinary shape vectors; before a rule of
//! `tensor::shape` is called, every sentinel is replaced by a small distinct value larger
//! than every real size in the call, so the rule matches sentinels by equality and never
//! overflows, and its answer is mapped back. Sizes unify where a rule needs two of them
//! equal (the inner sizes of `@`, a loss's arguments, `cat`'s other axes).

use crate::syntax::span::Span;
use crate::tensor::TensorError;

/// The first sentinel; real tensors never have an axis this long.
pub const SYM_BASE: usize = 1 << 40;
/// A size about which nothing is known (not related to any other size).
pub const ANON: usize = SYM_BASE;

pub fn is_sym(d: usize) -> bool {
    d >= SYM_BASE
}

#[derive(Clone, Debug)]
pub struct SymInfo {
    parent: usize,
    /// A real size this one was found to equal, and where.
    value: Option<(usize, Span)>,
    pub name: String,
    /// Where the size came from (the `load_csv` call).
    pub origin: Span,
}

/// Named symbolic sizes with union-find unification. Index 0 stands for `ANON`.
#[derive(Clone, Debug, Default)]
pub struct SymTable {
    syms: Vec<SymInfo>,
}

const NAMES: [&str; 6] = ["n", "m", "k", "p", "q", "r"];

impl SymTable {
    pub fn new() -> SymTable {
        SymTable {
            syms: vec![SymInfo {
                parent: 0,
                value: None,
                name: "?".into(),
                origin: Span::default(),
            }],
        }
    }

    /// A new named size, e.g. the rows of a CSV file.
    pub fn fresh(&mut self, origin: Span) -> usize {
        let k = self.syms.len();
        let name = match NAMES.get(k - 1) {
            Some(n) => n.to_string(),
            None => format!("n{k}"),
        };
        self.syms.push(SymInfo {
            parent: k,
            value: None,
            name,
            origin,
        });
        SYM_BASE + k
    }

    fn root(&self, mut k: usize) -> usize {
        while self.syms[k].parent != k {
            k = self.syms[k].parent;
        }
        k
    }

    fn index(&self, d: usize) -> Option<usize> {
        if d <= ANON {
            return None;
        }
        let k = d - SYM_BASE;
        (k < self.syms.len()).then_some(k)
    }

    /// The size `d` stands for now: a real size if unification fixed it, else the
    /// representative sentinel of its class.
    pub fn canon(&self, d: usize) -> usize {
        match self.index(d) {
            None => d,
            Some(k) => {
                let r = self.root(k);
                match self.syms[r].value {
                    Some((v, _)) => v,
                    None => SYM_BASE + r,
                }
            }
        }
    }

    pub fn canon_shape(&self, s: &[usize]) -> Vec<usize> {
        s.iter().map(|&d| self.canon(d)).collect()
    }

    pub fn is_anon(&self, d: usize) -> bool {
        d == ANON
    }

    /// Record that sizes `a` and `b` are equal (both already canonical); false when
    /// they cannot be (two different real sizes).
    pub fn unify(&mut self, a: usize, b: usize, at: Span) -> bool {
        let (a, b) = (self.canon(a), self.canon(b));
        if a == b || a == ANON || b == ANON {
            return true;
        }
        match (self.index(a), self.index(b)) {
            (None, None) => false,
            (Some(k), None) => {
                self.syms[k].value = Some((b, at));
                true
            }
            (None, Some(k)) => {
                self.syms[k].value = Some((a, at));
                true
            }
            (Some(x), Some(y)) => {
                self.syms[y].parent = x;
                true
            }
        }
    }

    /// Sizes that were fixed to a real value, among those mentioned in `shapes`:
    /// (name, value, where it was fixed, where the size came from).
    pub fn fixed_in(&self, shapes: &[&[usize]]) -> Vec<(String, usize, Span, Span)> {
        let mut out: Vec<(String, usize, Span, Span)> = Vec::new();
        for s in shapes {
            for &d in s.iter() {
                if let Some(k) = self.index(d) {
                    let r = self.root(k);
                    if let Some((v, at)) = self.syms[r].value {
                        let info = &self.syms[k];
                        if !out.iter().any(|o| o.0 == info.name) {
                            out.push((info.name.clone(), v, at, info.origin));
                        }
                    }
                }
            }
        }
        out
    }

    /// Where the size named `name` came from.
    pub fn find_by_name(&self, name: &str) -> Option<Span> {
        self.syms
            .iter()
            .skip(1)
            .find(|s| s.name == name)
            .map(|s| s.origin)
    }

    /// The name a sentinel is shown with.
    pub fn name(&self, d: usize) -> String {
        match self.index(d) {
            None if d == ANON => "?".to_string(),
            None => d.to_string(),
            Some(k) => self.syms[self.root(k)].name.clone(),
        }
    }

    /// Every sentinel that may appear in a diagnostic, with its name (longest first, so
    /// that replacing text never hits a prefix).
    pub fn all_names(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = (0..self.syms.len())
            .map(|k| ((SYM_BASE + k).to_string(), self.name(SYM_BASE + k)))
            .collect();
        out.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(b.0.cmp(&a.0)));
        out
    }

    /// Keep only the facts both tables agree on (after two branches meet).
    pub fn join(&self, other: &SymTable) -> SymTable {
        let mut out = self.clone();
        for k in 0..out.syms.len().min(other.syms.len()) {
            let a = self.canon(SYM_BASE + k);
            let b = other.canon(SYM_BASE + k);
            if a != b {
                out.syms[k].parent = k;
                out.syms[k].value = None;
            }
        }
        for k in out.syms.len()..other.syms.len() {
            out.syms.push(other.syms[k].clone());
        }
        out
    }
}

/// Replaces the sentinels in a call's shapes by small distinct values and back.
struct Compression {
    syms: Vec<usize>,
    base: usize,
}

impl Compression {
    fn new(shapes: &[Vec<usize>], extras: &[usize]) -> Compression {
        let mut syms: Vec<usize> = Vec::new();
        let mut max_real = 1;
        for &d in shapes.iter().flatten().chain(extras) {
            if is_sym(d) {
                if !syms.contains(&d) {
                    syms.push(d);
                }
            } else {
                max_real = max_real.max(d);
            }
        }
        Compression {
            syms,
            base: max_real + 2,
        }
    }

    fn down(&self, d: usize) -> usize {
        match self.syms.iter().position(|&s| s == d) {
            Some(i) => self.base + i,
            None => d,
        }
    }

    fn up(&self, d: usize) -> usize {
        if d >= self.base && d < self.base + self.syms.len() {
            self.syms[d - self.base]
        } else {
            d
        }
    }

    fn up_i(&self, d: isize) -> isize {
        if d >= 0 {
            let u = self.up(d as usize);
            if is_sym(u) {
                return u as isize;
            }
        }
        d
    }

    fn up_vec(&self, v: Vec<usize>) -> Vec<usize> {
        v.into_iter().map(|d| self.up(d)).collect()
    }

    fn up_err(&self, e: TensorError) -> TensorError {
        use TensorError as E;
        match e {
            E::Broadcast {
                lhs,
                rhs,
                lhs_axis,
                rhs_axis,
            } => E::Broadcast {
                lhs: self.up_vec(lhs),
                rhs: self.up_vec(rhs),
                lhs_axis,
                rhs_axis,
            },
            E::InPlace { target, value } => E::InPlace {
                target: self.up_vec(target),
                value: self.up_vec(value),
            },
            E::MatMul { lhs, rhs, kind } => E::MatMul {
                lhs: self.up_vec(lhs),
                rhs: self.up_vec(rhs),
                kind,
            },
            E::Reshape { from, spec, reason } => E::Reshape {
                from: self.up_vec(from),
                spec: spec.into_iter().map(|d| self.up_i(d)).collect(),
                reason,
            },
            E::Squeeze { axis, size } => E::Squeeze {
                axis,
                size: self.up(size),
            },
            E::IndexOutOfRange { axis, index, size } => E::IndexOutOfRange {
                axis,
                index,
                size: self.up(size),
            },
            E::Cat {
                axis,
                shapes,
                which,
                kind,
            } => E::Cat {
                axis,
                shapes: shapes.into_iter().map(|s| self.up_vec(s)).collect(),
                which,
                kind,
            },
            E::LossShape { loss, pred, target } => E::LossShape {
                loss,
                pred: self.up_vec(pred),
                target: self.up_vec(target),
            },
            E::NotScalar { shape } => E::NotScalar {
                shape: self.up_vec(shape),
            },
            E::TooLarge {
                shape,
                bytes,
                budget,
            } => E::TooLarge {
                shape: self.up_vec(shape),
                bytes,
                budget,
            },
            other => other,
        }
    }
}

/// What a rule said about symbolic shapes.
pub enum RuleOut {
    Ok(Vec<usize>),
    /// The run fails for every value of the symbolic sizes.
    Error(TensorError),
    /// It depends on sizes known only at run time; the shape the run would have if it
    /// passes, when there is one.
    Undecided(String, Option<Vec<usize>>),
}

/// Call a shape rule on shapes with sentinels (and `extras`: other numbers the rule
/// compares with sizes, e.g. indices or reshape sizes, which may be sentinels too).
pub fn call_rule(
    shapes: &[Vec<usize>],
    extras: &[usize],
    f: impl FnOnce(&[Vec<usize>], &dyn Fn(usize) -> usize) -> Result<Vec<usize>, TensorError>,
) -> Result<Vec<usize>, TensorError> {
    let c = Compression::new(shapes, extras);
    if c.syms.is_empty() {
        return f(shapes, &|d| d);
    }
    let small: Vec<Vec<usize>> = shapes
        .iter()
        .map(|s| s.iter().map(|&d| c.down(d)).collect())
        .collect();
    match f(&small, &|d| c.down(d)) {
        Ok(v) => Ok(c.up_vec(v)),
        Err(e) => Err(c.up_err(e)),
    }
}

pub fn has_sym(s: &[usize]) -> bool {
    s.iter().any(|&d| is_sym(d))
}
