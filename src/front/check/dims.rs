//! Symbolic sizes and calls of the real shape rules. A shape in the check is a list of
//! [`Dim`]: a real size, or a size known only when the program runs (symbol `k` of the
//! [`SymTable`], named `n`, `m`, ... in diagnostics). The real rules of `tensor::shape`
//! take `usize` sizes, so [`call_rule`] replaces every symbol of a call by a small distinct
//! value larger than every real size in it (the rule matches symbols by equality and never
//! overflows) and maps the answer back. Sizes unify where a rule needs two of them equal
//! (the inner sizes of `@`, a loss's arguments, `cat`'s other axes).
//!
//! Diagnostics are written by the evaluator's `explain` layer, whose shapes are `usize`:
//! [`shown`] encodes a symbol there as a number that no real size reaches, and
//! [`SymTable::all_names`] gives the text that replaces it. That encoding exists only
//! between this file and the diagnostic's text; no shape of the check holds it.

use crate::syntax::span::Span;
use crate::tensor::TensorError;

/// One size of a shape in the check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dim {
    /// A size the check knows.
    Known(usize),
    /// Symbol `k` of the [`SymTable`]: a size known only when the program runs. Symbol 0
    /// is [`ANON`], a size about which nothing is known.
    Sym(u32),
}

/// A size about which nothing is known (not related to any other size).
pub const ANON: Dim = Dim::Sym(0);

/// A shape of the check.
pub type Shape = Vec<Dim>;

impl Dim {
    pub fn known(self) -> Option<usize> {
        match self {
            Dim::Known(n) => Some(n),
            Dim::Sym(_) => None,
        }
    }

    /// Whether it is this real size.
    pub fn is(self, n: usize) -> bool {
        self == Dim::Known(n)
    }

    /// The shape of a real tensor.
    pub fn shape(s: &[usize]) -> Shape {
        s.iter().map(|&d| Dim::Known(d)).collect()
    }

    /// The real sizes, when every size is real.
    pub fn real(s: &[Dim]) -> Option<Vec<usize>> {
        s.iter().map(|d| d.known()).collect()
    }
}

pub fn is_sym(d: Dim) -> bool {
    matches!(d, Dim::Sym(_))
}

pub fn has_sym(s: &[Dim]) -> bool {
    s.iter().any(|&d| is_sym(d))
}

/// Where symbols start in the `usize` encoding of [`shown`]: no real tensor has an axis
/// this long.
const SHOWN_BASE: usize = 1 << 40;

/// A shape as the evaluator's diagnostics take it (`usize` sizes): a symbol becomes a
/// number no real size reaches, which the check's report replaces by the symbol's name.
pub fn shown(s: &[Dim]) -> Vec<usize> {
    s.iter().map(|&d| shown_dim(d)).collect()
}

pub fn shown_dim(d: Dim) -> usize {
    match d {
        Dim::Known(n) => n,
        Dim::Sym(k) => SHOWN_BASE + k as usize,
    }
}

/// A size read back from a shape in a diagnostic's encoding (see [`shown`]).
pub fn unshown(d: usize) -> Dim {
    if d >= SHOWN_BASE {
        Dim::Sym((d - SHOWN_BASE) as u32)
    } else {
        Dim::Known(d)
    }
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
    pub fn fresh(&mut self, origin: Span) -> Dim {
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
        Dim::Sym(k as u32)
    }

    fn root(&self, mut k: usize) -> usize {
        while self.syms[k].parent != k {
            k = self.syms[k].parent;
        }
        k
    }

    /// The table index of a named symbol (not `ANON`, not a real size).
    fn index(&self, d: Dim) -> Option<usize> {
        match d {
            Dim::Sym(k) if k > 0 && (k as usize) < self.syms.len() => Some(k as usize),
            _ => None,
        }
    }

    /// The size `d` stands for now: a real size if unification fixed it, else the
    /// representative symbol of its class.
    pub fn canon(&self, d: Dim) -> Dim {
        match self.index(d) {
            None => d,
            Some(k) => {
                let r = self.root(k);
                match self.syms[r].value {
                    Some((v, _)) => Dim::Known(v),
                    None => Dim::Sym(r as u32),
                }
            }
        }
    }

    pub fn canon_shape(&self, s: &[Dim]) -> Shape {
        s.iter().map(|&d| self.canon(d)).collect()
    }

    pub fn is_anon(&self, d: Dim) -> bool {
        d == ANON
    }

    /// Record that sizes `a` and `b` are equal; false when they cannot be (two different
    /// real sizes).
    pub fn unify(&mut self, a: Dim, b: Dim, at: Span) -> bool {
        let (a, b) = (self.canon(a), self.canon(b));
        if a == b || a == ANON || b == ANON {
            return true;
        }
        match (self.index(a), self.index(b), a, b) {
            (Some(x), Some(y), _, _) => {
                self.syms[y].parent = x;
                true
            }
            (Some(k), None, _, Dim::Known(v)) | (None, Some(k), Dim::Known(v), _) => {
                self.syms[k].value = Some((v, at));
                true
            }
            _ => false,
        }
    }

    /// Sizes that were fixed to a real value, among those mentioned in `shapes`:
    /// (name, value, where it was fixed, where the size came from).
    pub fn fixed_in(&self, shapes: &[&[Dim]]) -> Vec<(String, usize, Span, Span)> {
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

    /// The name a size is shown with: its number when real, `?` when nothing is known.
    pub fn name(&self, d: Dim) -> String {
        match (self.index(d), d) {
            (Some(k), _) => self.syms[self.root(k)].name.clone(),
            (None, Dim::Known(n)) => n.to_string(),
            (None, Dim::Sym(_)) => "?".to_string(),
        }
    }

    /// The text of every symbol as [`shown`] writes it, with the symbol's name (longest
    /// first, so that replacing text never hits a prefix).
    pub fn all_names(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = (0..self.syms.len())
            .map(|k| {
                let d = Dim::Sym(k as u32);
                (shown_dim(d).to_string(), self.name(d))
            })
            .collect();
        out.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(b.0.cmp(&a.0)));
        out
    }

    /// Keep only the facts both tables agree on (after two branches meet).
    pub fn join(&self, other: &SymTable) -> SymTable {
        let mut out = self.clone();
        for k in 0..out.syms.len().min(other.syms.len()) {
            let d = Dim::Sym(k as u32);
            if self.canon(d) != other.canon(d) {
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

/// Replaces the symbols in a call's shapes by small distinct values and back.
struct Compression {
    syms: Vec<Dim>,
    base: usize,
}

impl Compression {
    fn new(shapes: &[Shape], extras: &[Dim]) -> Compression {
        let mut syms: Vec<Dim> = Vec::new();
        let mut max_real = 1;
        for &d in shapes.iter().flatten().chain(extras) {
            match d {
                Dim::Known(n) => max_real = max_real.max(n),
                sym => {
                    if !syms.contains(&sym) {
                        syms.push(sym);
                    }
                }
            }
        }
        Compression {
            syms,
            base: max_real + 2,
        }
    }

    fn down(&self, d: Dim) -> usize {
        match d {
            Dim::Known(n) => n,
            sym => self.base + self.syms.iter().position(|&s| s == sym).unwrap_or(0),
        }
    }

    fn up(&self, d: usize) -> Dim {
        if d >= self.base && d < self.base + self.syms.len() {
            self.syms[d - self.base]
        } else {
            Dim::Known(d)
        }
    }

    /// A size of the rule's error, in the encoding of [`shown`].
    fn up_shown(&self, d: usize) -> usize {
        shown_dim(self.up(d))
    }

    fn up_i(&self, d: isize) -> isize {
        if d >= 0 {
            let u = self.up(d as usize);
            if is_sym(u) {
                return shown_dim(u) as isize;
            }
        }
        d
    }

    fn up_vec(&self, v: Vec<usize>) -> Vec<usize> {
        v.into_iter().map(|d| self.up_shown(d)).collect()
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
                size: self.up_shown(size),
            },
            E::IndexOutOfRange { axis, index, size } => E::IndexOutOfRange {
                axis,
                index,
                size: self.up_shown(size),
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
    Ok(Shape),
    /// The run fails for every value of the symbolic sizes (its shapes in the encoding
    /// of [`shown`]).
    Error(TensorError),
    /// It depends on sizes known only at run time; the shape the run would have if it
    /// passes, when there is one.
    Undecided(String, Option<Shape>),
}

/// Call a shape rule on shapes with symbols (and `extras`: other numbers the rule
/// compares with sizes, e.g. indices or reshape sizes, which may be symbols too). The
/// error's shapes come back in the encoding of [`shown`].
pub fn call_rule(
    shapes: &[Shape],
    extras: &[Dim],
    f: impl FnOnce(&[Vec<usize>]) -> Result<Vec<usize>, TensorError>,
) -> Result<Shape, TensorError> {
    let c = Compression::new(shapes, extras);
    let small: Vec<Vec<usize>> = shapes
        .iter()
        .map(|s| s.iter().map(|&d| c.down(d)).collect())
        .collect();
    match f(&small) {
        Ok(v) => Ok(v.into_iter().map(|d| c.up(d)).collect()),
        Err(e) => Err(c.up_err(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor::shape;

    #[test]
    fn symbols_reach_a_rule_as_distinct_sizes_larger_than_every_real_one() {
        let mut t = SymTable::new();
        let n = t.fresh(Span::default());
        let m = t.fresh(Span::default());
        let seen = std::cell::RefCell::new(Vec::new());
        let out = call_rule(&[vec![n, Dim::Known(7)], vec![m, n]], &[], |s| {
            seen.borrow_mut().extend(s.iter().cloned());
            Ok(vec![s[0][0], s[1][0], s[0][1]])
        })
        .ok();
        assert_eq!(out, Some(vec![n, m, Dim::Known(7)]));
        let seen = seen.into_inner();
        let (sn, sm) = (seen[0][0], seen[1][0]);
        assert!(sn != sm && sn > 7 && sm > 7, "{seen:?}");
        assert_eq!(seen[1][1], sn);
    }

    #[test]
    fn a_rule_error_names_symbols_in_the_shown_encoding() {
        let mut t = SymTable::new();
        let n = t.fresh(Span::default());
        let e = call_rule(
            &[vec![n, Dim::Known(3)], vec![Dim::Known(4), Dim::Known(5)]],
            &[],
            |s| shape::matmul_shape(&s[0], &s[1]),
        );
        let Err(TensorError::MatMul { lhs, .. }) = e else {
            panic!("expected a matmul error, got {e:?}");
        };
        assert_eq!(
            lhs.iter().map(|&d| unshown(d)).collect::<Vec<_>>(),
            vec![n, Dim::Known(3)]
        );
        let names = t.all_names();
        let text = shown_dim(n).to_string();
        assert!(names
            .iter()
            .any(|(digits, name)| *digits == text && name == "n"));
    }

    #[test]
    fn unification_fixes_sizes_and_a_join_keeps_only_common_facts() {
        let mut t = SymTable::new();
        let (n, m) = (t.fresh(Span::default()), t.fresh(Span::default()));
        let before = t.clone();
        assert!(t.unify(n, m, Span::default()));
        assert_eq!(t.canon(n), t.canon(m));
        assert!(t.unify(m, Dim::Known(5), Span::default()));
        assert_eq!(t.canon(n), Dim::Known(5));
        assert!(!t.unify(n, Dim::Known(6), Span::default()));
        assert!(t.unify(ANON, Dim::Known(6), Span::default()));
        assert_eq!(t.fixed_in(&[&[n]]).len(), 1);
        let joined = t.join(&before);
        assert_eq!(joined.canon(n), n);
        assert_eq!(joined.name(m), "m");
        assert_eq!(joined.name(ANON), "?");
        assert_eq!(joined.name(Dim::Known(4)), "4");
    }
}
