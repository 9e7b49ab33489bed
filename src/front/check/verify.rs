//! Fixes verified by substitution: a diagnostic's suggested rewrite is applied to the
//! program text, and the rewritten program is checked again (every op's shape rule on
//! the failing line and the lines before it). A fix is shown only when no error is left
//! on the failing line and none appears before it.

use super::value::{ATensor, AVal};
use super::Checker;
use crate::runtime::interp::Interp;
use crate::runtime::value::Value;
use crate::syntax::diagnostic::{Diagnostic, Fix, Severity};
use crate::syntax::parser;
use std::cell::Cell;
use std::collections::BTreeSet;
use std::rc::Rc;

thread_local! {
    /// Set while a rewritten program is being checked: its own fixes are not verified.
    static VERIFYING: Cell<bool> = const { Cell::new(false) };
    /// Steps simulated by the checks of the current diagnostic's candidates.
    static STEPS: Cell<u64> = const { Cell::new(0) };
}

/// 1-based line of byte `offset` in `text`.
pub fn line_of(text: &str, offset: usize) -> usize {
    1 + text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
}

/// Errors of a check of `text` (seeded with `seed`'s variables): (code, line).
fn errors(name: &str, text: &str, seed: Option<&Interp>) -> Option<Vec<(&'static str, usize)>> {
    let (diags, steps) = match seed {
        None => {
            let r = super::check_errors(name, text);
            (r.diagnostics, r.steps)
        }
        Some(interp) => check_seeded(name, text, interp)?,
    };
    STEPS.with(|s| s.set(s.get() + steps));
    Some(
        diags
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .map(|d| {
                (
                    d.code,
                    line_of(text, d.primary_span().map(|s| s.start).unwrap_or(0)),
                )
            })
            .collect(),
    )
}

/// Keep, of `d`'s candidate fixes, the first that lets `text` (named `name`) get past
/// the error: the rewritten text checks with no error on the failing line and no new
/// error before it. `seed` gives the variables of a live session (a REPL input or
/// notebook cell runs with them). At most `MAX_TRIED` candidates are checked.
pub fn choose_fix(name: &str, text: &str, d: &mut Diagnostic, seed: Option<&Interp>) {
    if is_verifying() {
        d.fixes.clear();
        return;
    }
    d.fixes.truncate(MAX_TRIED);
    // Each candidate is a whole check of the program: past the budget of simulated steps
    // the rest are dropped unverified (not shown), so that an error is never slow to
    // appear (steps, not time, so that the output stays the same from run to run).
    STEPS.with(|s| s.set(0));
    d.choose_fix(|d, fix| {
        STEPS.with(|s| s.get()) < MAX_VERIFY_STEPS && fix_passes(name, text, d, fix, seed)
    });
}

/// Candidate fixes of one diagnostic checked at most.
const MAX_TRIED: usize = 4;

/// Statements and calls simulated verifying one diagnostic's candidates, at most (a
/// candidate started before the budget runs out is checked to its end).
const MAX_VERIFY_STEPS: u64 = 800_000;

fn fix_passes(name: &str, text: &str, d: &Diagnostic, fix: &Fix, seed: Option<&Interp>) -> bool {
    let Some(at) = d.primary_span() else {
        return false;
    };
    let Some(fixed) = fix.apply(text) else {
        return false;
    };
    if !parser::parse(&fixed).1.is_empty() {
        return false;
    }
    let line = line_of(text, at.start);
    let fix_line = line_of(text, fix.span.start);
    let delta = fix.line_delta(text);
    // A line of the rewritten text, numbered as in the original.
    let back = |l: usize| -> usize {
        if l > fix_line {
            (l as isize - delta).max(1) as usize
        } else {
            l
        }
    };
    VERIFYING.with(|v| v.set(true));
    let after = errors(name, &fixed, seed);
    let before = match &after {
        Some(a) if a.iter().any(|&(_, l)| back(l) < line) => errors(name, text, seed),
        _ => Some(Vec::new()),
    };
    VERIFYING.with(|v| v.set(false));
    let (Some(after), Some(before)) = (after, before) else {
        return false;
    };
    !after.iter().any(|&(code, l)| {
        let l = back(l);
        l == line || (l < line && !before.contains(&(code, l)))
    })
}

pub(super) fn is_verifying() -> bool {
    VERIFYING.with(|v| v.get())
}

/// Choose the fix of every diagnostic of a report on `text` (at most 8 are verified,
/// each verification being a whole check; the rest lose their fixes).
pub(super) fn verify_all(name: &str, text: &str, diags: &mut [Diagnostic]) {
    let mut budget = 8;
    for d in diags.iter_mut() {
        if d.fixes.is_empty() {
            continue;
        }
        if budget == 0 {
            d.fixes.clear();
            continue;
        }
        budget -= 1;
        choose_fix(name, text, d, None);
    }
}

/// A check of `text` whose global variables start as those of a live session.
fn check_seeded(name: &str, text: &str, live: &Interp) -> Option<(Vec<Diagnostic>, u64)> {
    let (program, errors) = parser::parse(text);
    if !errors.is_empty() {
        return None;
    }
    let report = super::walker::check_program(name, text, &program.stmts, Some(live), false);
    Some((report.diagnostics, report.steps))
}

impl Checker {
    /// The abstract value of a live session's value: tensors keep their shapes, plain
    /// values stay known, lists and tuples keep their items; the rest is unknown.
    pub(super) fn abstract_of(&mut self, v: &Value, depth: usize) -> AVal {
        match v {
            Value::Tensor(t) => {
                let id = self.fresh_id();
                AVal::Tensor(Rc::new(ATensor {
                    shape: Some(super::dims::Dim::shape(&t.shape())),
                    ids: Rc::new(vec![id]),
                    anc: Rc::new(BTreeSet::from([id])),
                    used: Rc::default(),
                    mask: Some(t.is_mask()),
                }))
            }
            Value::List(l) if depth < 4 && l.borrow().len() <= 4096 => {
                let items: Vec<Value> = l.borrow().clone();
                AVal::list(
                    items
                        .iter()
                        .map(|x| self.abstract_of(x, depth + 1))
                        .collect(),
                )
            }
            Value::Tuple(items) if depth < 4 && items.len() <= 4096 => AVal::list(
                items
                    .iter()
                    .map(|x| self.abstract_of(x, depth + 1))
                    .collect(),
            ),
            other => AVal::from_value(other),
        }
    }
}
