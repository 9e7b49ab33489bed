//! What explanations may ask of the evaluator (`explain::Context` for `Interp`): source
//! text, where variables were bound, which variable holds a tensor, and what holds the
//! memory. Here rather than in `interp.rs`, so that `interp.rs` imports neither
//! `memory.rs` nor anything else that imports values.

use crate::runtime::explain::{Context, Origin, Site};
use crate::runtime::interp::{Interp, R};
use crate::runtime::memory;
use crate::syntax::diagnostic::{Diagnostic, Source};
use crate::syntax::span::Span;
use std::sync::atomic::Ordering;

impl Context for Interp {
    fn text_of(&self, span: Span) -> String {
        Interp::text_of(self, span)
    }
    fn origin_of(&self, name: &str) -> Option<Origin> {
        self.lookup(name).map(|b| b.origin)
    }
    fn current_source(&self) -> usize {
        self.src_id
    }
    fn source(&self, id: usize) -> &Source {
        Interp::source(self, id)
    }
    fn source_name(&self, id: usize) -> &str {
        &self.sources[id].name
    }
    fn name_of_tensor(&self, id: u64) -> Option<String> {
        Interp::name_of_tensor(self, id)
    }
    fn changed_at(&self, id: u64) -> Option<Origin> {
        Interp::changed_at(self, id)
    }
    fn out_of_memory(
        &self,
        site: &Site,
        wanted: &[usize],
        bytes: u64,
        live: u64,
        limit: u64,
    ) -> Diagnostic {
        memory::out_of_memory(self, site, wanted, bytes, live, limit)
    }
}

impl Interp {
    /// Stop with a `limit::memory` error when live tensors are over the budget, or an
    /// `interrupt` error if Ctrl-C was pressed. `progress` says how far the
    /// loop being checked got; it is only built when the check fires.
    pub(crate) fn check_interrupt(
        &self,
        span: Span,
        progress: impl FnOnce() -> Option<String>,
    ) -> R<()> {
        memory::check_total(self, span)?;
        if self.interrupt.load(Ordering::Relaxed) {
            self.interrupt.store(false, Ordering::Relaxed);
            let message = match progress() {
                Some(p) => format!("interrupted {p}"),
                None => "interrupted".to_string(),
            };
            return Err(self.fail(
                Diagnostic::error("interrupt", message)
                    .primary(span, "stopped here")
                    .help("every statement that completed before this point keeps its effect"),
            ));
        }
        Ok(())
    }
}
