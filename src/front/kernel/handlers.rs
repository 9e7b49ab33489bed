//! Shell requests, answered on the interpreter thread: `kernel_info`, `execute`,
//! `complete`, `inspect`, `is_complete`, `history`, `comm_info`. Each is wrapped in
//! iopub `busy`/`idle`. Output reaches the I/O thread as it is written: `print` through
//! the session's stdout writer, warnings through its stderr writer, values and plots
//! through the session's hooks.

use super::cell::{self, Part};
use super::io::Out;
use super::wire::Message;
use crate::front::repl::commands::{self, Next};
use crate::front::repl::{self, Repl, Scope};
use crate::front::session::{render_input, Outcome, Session, SessionOptions};
use crate::runtime::data::plot;
use crate::syntax::diagnostic::{Diagnostic, RenderStyle};
use serde_json::{json, Value};
use std::cell::RefCell;
use std::io::Write;
use std::rc::Rc;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use tokio::sync::mpsc::UnboundedSender;

/// Diagnostics in a notebook: colour, and a width that fits a notebook's output area.
const STYLE: RenderStyle = RenderStyle {
    width: 100,
    color: true,
};

/// What the writers and hooks need to know of the request being run.
struct CellState {
    parent: Arc<Value>,
    /// `silent`: nothing is published.
    quiet: bool,
    execution_count: u64,
    /// The cell's `execute_result` was sent (a later value goes out as `display_data`).
    result_sent: bool,
    /// The text of the cell's result, for `history` with output.
    result_text: Option<String>,
}

type Shared = Rc<RefCell<CellState>>;

/// The session's stdout or stderr: each write goes to the I/O thread at once.
struct StreamWriter {
    name: &'static str,
    tx: UnboundedSender<Out>,
    cell: Shared,
}

impl Write for StreamWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let cell = self.cell.borrow();
        if !cell.quiet && !buf.is_empty() {
            let _ = self.tx.send(Out::Stream {
                name: self.name,
                text: String::from_utf8_lossy(buf).into_owned(),
                parent: cell.parent.clone(),
            });
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Collects what a `:help` writes, for `inspect`.
struct Capture(Rc<RefCell<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// `kernel_info_reply` content.
pub fn kernel_info() -> Value {
    json!({
        "status": "ok",
        "protocol_version": super::wire::PROTOCOL_VERSION,
        "implementation": "tsr",
        "implementation_version": env!("CARGO_PKG_VERSION"),
        "language_info": {
            "name": "tsr",
            "version": env!("CARGO_PKG_VERSION"),
            "mimetype": "text/x-tsr",
            "file_extension": ".tsr",
            "pygments_lexer": "python",
            "codemirror_mode": "python",
        },
        "banner": format!("tsr {} — a tensor scripting language with automatic differentiation; `:help` for help", env!("CARGO_PKG_VERSION")),
        "help_links": [],
        "debugger": false,
    })
}

/// One history entry: execution count, input, the result's text.
struct Entry {
    line: u64,
    input: String,
    output: Option<String>,
}

pub struct Kernel {
    session: Session,
    repl: Repl,
    tx: UnboundedSender<Out>,
    cell: Shared,
    execution_count: u64,
    history: Vec<Entry>,
}

fn send_io(tx: &UnboundedSender<Out>, msg: Message) {
    let _ = tx.send(Out::IoPub(msg));
}

impl Kernel {
    pub fn new(tx: UnboundedSender<Out>, max_memory: Option<u64>) -> Kernel {
        let cell: Shared = Rc::new(RefCell::new(CellState {
            parent: Arc::new(json!({})),
            quiet: false,
            execution_count: 0,
            result_sent: false,
            result_text: None,
        }));
        let writer = |name| -> Box<dyn Write> {
            Box::new(StreamWriter {
                name,
                tx: tx.clone(),
                cell: cell.clone(),
            })
        };
        let mut session = Session::new(
            writer("stdout"),
            writer("stderr"),
            SessionOptions {
                style: STYLE,
                max_memory,
            },
        );
        let (value_tx, value_cell) = (tx.clone(), cell.clone());
        session.show_value = Some(Box::new(move |v, last| {
            let mut c = value_cell.borrow_mut();
            if c.quiet {
                return;
            }
            let data = cell::mime_bundle(v);
            let parent = c.parent.clone();
            let msg = if last && !c.result_sent {
                c.result_sent = true;
                c.result_text = data["text/plain"].as_str().map(str::to_string);
                Message::iopub(
                    &parent,
                    "execute_result",
                    json!({"execution_count": c.execution_count, "data": data, "metadata": {}}),
                )
            } else {
                Message::iopub(
                    &parent,
                    "display_data",
                    json!({"data": data, "metadata": {}, "transient": {}}),
                )
            };
            send_io(&value_tx, msg);
        }));
        let (plot_tx, plot_cell) = (tx.clone(), cell.clone());
        plot::set_display(Some(Box::new(move |svg, text| {
            let c = plot_cell.borrow();
            if c.quiet {
                return;
            }
            let msg = Message::iopub(
                &c.parent,
                "display_data",
                json!({
                    "data": {"image/svg+xml": svg, "text/plain": text},
                    "metadata": {},
                    "transient": {},
                }),
            );
            send_io(&plot_tx, msg);
        })));
        Kernel {
            session,
            repl: Repl::new(),
            tx,
            cell,
            execution_count: 0,
            history: Vec::new(),
        }
    }

    /// The interpreter's interrupt flag, for the I/O thread.
    pub fn interrupt_flag(&self) -> Arc<std::sync::atomic::AtomicBool> {
        self.session.interp.interrupt.clone()
    }

    /// Answer one shell request.
    pub fn handle(&mut self, msg: Message) {
        send_io(
            &self.tx,
            msg.broadcast("status", json!({"execution_state": "busy"})),
        );
        let reply = match msg.msg_type() {
            "kernel_info_request" => Some(kernel_info()),
            "execute_request" => Some(self.execute(&msg)),
            "complete_request" => Some(self.complete(&msg.content)),
            "inspect_request" => Some(self.inspect(&msg.content)),
            "is_complete_request" => Some(is_complete(&msg.content)),
            "history_request" => Some(self.history(&msg.content)),
            "comm_info_request" => Some(json!({"status": "ok", "comms": {}})),
            _ => None,
        };
        if let Some(content) = reply {
            let _ = self.tx.send(Out::Shell(msg.reply(content)));
        }
        send_io(
            &self.tx,
            msg.broadcast("status", json!({"execution_state": "idle"})),
        );
    }

    fn execute(&mut self, msg: &Message) -> Value {
        let code = msg.content["code"].as_str().unwrap_or("").to_string();
        let silent = msg.content["silent"].as_bool().unwrap_or(false);
        let store_history = !silent && msg.content["store_history"].as_bool().unwrap_or(true);
        if store_history {
            self.execution_count += 1;
        }
        let count = self.execution_count;
        {
            let mut c = self.cell.borrow_mut();
            c.parent = Arc::new(msg.header.clone());
            c.quiet = silent;
            c.execution_count = count;
            c.result_sent = false;
            c.result_text = None;
        }
        if !silent {
            send_io(
                &self.tx,
                msg.broadcast(
                    "execute_input",
                    json!({"code": code, "execution_count": count}),
                ),
            );
        }
        self.session.capture_errors = Some(Vec::new());
        self.run_cell(&code);
        let _ = self.session.interp.out.flush();
        let errors = self.session.capture_errors.take().unwrap_or_default();
        if store_history {
            let output = self.cell.borrow_mut().result_text.take();
            self.history.push(Entry {
                line: count,
                input: code,
                output,
            });
        }
        let Some(first) = errors.first() else {
            return json!({
                "status": "ok",
                "execution_count": count,
                "user_expressions": {},
                "payload": [],
            });
        };
        let mut traceback = Vec::new();
        for d in &errors {
            traceback.extend(render_input(d, STYLE).lines().map(str::to_string));
        }
        let error = json!({
            "ename": first.code,
            "evalue": first.message,
            "traceback": traceback,
        });
        if !silent {
            send_io(&self.tx, msg.broadcast("error", error.clone()));
        }
        let mut reply = error;
        reply["status"] = "error".into();
        reply["execution_count"] = count.into();
        reply
    }

    /// Run a cell's parts in order until one fails.
    fn run_cell(&mut self, code: &str) {
        let parts = match cell::split(code) {
            Ok(p) => p,
            Err(d) => return self.session.report(&d),
        };
        // An interrupt that arrived while the kernel was idle is stale.
        self.session.interp.interrupt.store(false, Ordering::SeqCst);
        for part in parts {
            match part {
                Part::Code(text) => {
                    let outcome = self.repl.eval(&mut self.session, &text);
                    if outcome != Outcome::Ok {
                        if self
                            .session
                            .capture_errors
                            .as_ref()
                            .is_some_and(Vec::is_empty)
                        {
                            self.session.report(&Diagnostic::error(
                                "io::stdout",
                                "the cell's output could not be sent",
                            ));
                        }
                        return;
                    }
                }
                Part::Command(line) => {
                    self.command(&line);
                    if self
                        .session
                        .capture_errors
                        .as_ref()
                        .is_some_and(|e| !e.is_empty())
                    {
                        return;
                    }
                }
            }
        }
    }

    fn command(&mut self, line: &str) {
        let name = line.split_whitespace().next().unwrap_or("");
        if matches!(name, ":vars" | ":whos") {
            let text = commands::vars_text(&self.session);
            let rows = commands::var_rows(&self.session);
            let mut data = json!({"text/plain": text});
            if !rows.is_empty() {
                data["text/html"] = cell::vars_html(&commands::VAR_HEADER, &rows).into();
            }
            let c = self.cell.borrow();
            if !c.quiet {
                send_io(
                    &self.tx,
                    Message::iopub(
                        &c.parent,
                        "display_data",
                        json!({"data": data, "metadata": {}, "transient": {}}),
                    ),
                );
            }
            return;
        }
        if let Next::Quit(_) = commands::run(&mut self.session, &mut self.repl, line) {
            let _ = self.session.interp.write_out(
                "`:quit` does not stop a notebook kernel: shut it down or restart it from the notebook\n",
            );
        }
        let _ = self.session.interp.out.flush();
    }

    fn complete(&mut self, content: &Value) -> Value {
        let code = content["code"].as_str().unwrap_or("");
        let pos = byte_offset(code, content["cursor_pos"].as_u64().unwrap_or(0) as usize);
        let line_start = code[..pos].rfind('\n').map_or(0, |i| i + 1);
        let line_end = code[pos..].find('\n').map_or(code.len(), |i| pos + i);
        let line = &code[line_start..line_end];
        let scope = Scope::of(&self.session.interp);
        let (start, mut matches) = repl::complete(&scope, line, pos - line_start);
        // Indentation is the front-end's business.
        matches.retain(|m| !m.trim().is_empty());
        json!({
            "status": "ok",
            "matches": matches,
            "cursor_start": code[..line_start + start].chars().count(),
            "cursor_end": code[..pos].chars().count(),
            "metadata": {},
        })
    }

    fn inspect(&mut self, content: &Value) -> Value {
        let code = content["code"].as_str().unwrap_or("");
        let pos = byte_offset(code, content["cursor_pos"].as_u64().unwrap_or(0) as usize);
        let is_name = |c: char| c == '_' || c.is_alphanumeric();
        let start = code[..pos]
            .char_indices()
            .rev()
            .take_while(|(_, c)| is_name(*c))
            .last()
            .map_or(pos, |(i, _)| i);
        let end = code[pos..]
            .char_indices()
            .find(|(_, c)| !is_name(*c))
            .map_or(code.len(), |(i, _)| pos + i);
        let name = &code[start..end];
        let not_found = json!({"status": "ok", "found": false, "data": {}, "metadata": {}});
        if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
            return not_found;
        }
        let buffer = Rc::new(RefCell::new(Vec::new()));
        let out = std::mem::replace(
            &mut self.session.interp.out,
            Box::new(Capture(buffer.clone())),
        );
        let errors = self.session.capture_errors.replace(Vec::new());
        commands::run(&mut self.session, &mut self.repl, &format!(":help {name}"));
        let failed = self
            .session
            .capture_errors
            .as_ref()
            .is_some_and(|e| !e.is_empty());
        self.session.capture_errors = errors;
        self.session.interp.out = out;
        if failed {
            return not_found;
        }
        let text = String::from_utf8_lossy(&buffer.borrow()).into_owned();
        json!({"status": "ok", "found": true, "data": {"text/plain": text}, "metadata": {}})
    }

    fn history(&self, content: &Value) -> Value {
        let output = content["output"].as_bool().unwrap_or(false);
        let entry = |e: &Entry| -> Value {
            if output {
                json!([1, e.line, [e.input, e.output.clone().unwrap_or_default()]])
            } else {
                json!([1, e.line, e.input])
            }
        };
        let n = content["n"].as_u64().map(|n| n as usize);
        let chosen: Vec<&Entry> = match content["hist_access_type"].as_str().unwrap_or("tail") {
            "range" => {
                let start = content["start"].as_u64().unwrap_or(0);
                let stop = content["stop"].as_u64().unwrap_or(u64::MAX);
                self.history
                    .iter()
                    .filter(|e| e.line >= start && e.line < stop)
                    .collect()
            }
            "search" => {
                let pattern = content["pattern"].as_str().unwrap_or("*");
                let unique = content["unique"].as_bool().unwrap_or(false);
                let mut found: Vec<&Entry> = Vec::new();
                for e in self.history.iter().rev() {
                    if glob(pattern, &e.input)
                        && !(unique && found.iter().any(|f| f.input == e.input))
                    {
                        found.push(e);
                    }
                }
                if let Some(n) = n {
                    found.truncate(n);
                }
                found.reverse();
                found
            }
            _ => {
                let n = n.unwrap_or(self.history.len()).min(self.history.len());
                self.history[self.history.len() - n..].iter().collect()
            }
        };
        json!({"status": "ok", "history": chosen.into_iter().map(entry).collect::<Vec<_>>()})
    }
}

/// `is_complete_reply`: the REPL's block rule.
pub fn is_complete(content: &Value) -> Value {
    let code = content["code"].as_str().unwrap_or("");
    let trimmed = code.trim_start();
    if trimmed.is_empty() || trimmed.starts_with(['%', '!']) {
        return json!({"status": "complete"});
    }
    if repl::needs_more(code) {
        let last = code.lines().last().unwrap_or("");
        let mut indent: String = last.chars().take_while(|c| c.is_whitespace()).collect();
        if last.trim_end().ends_with(':') {
            indent.push_str("    ");
        }
        return json!({"status": "incomplete", "indent": indent});
    }
    if !trimmed.starts_with(':') {
        let joined = repl::join_operator_lines(&format!("{}\n", code.trim_end()));
        if !crate::syntax::parser::parse(&joined).1.is_empty() {
            return json!({"status": "invalid"});
        }
    }
    json!({"status": "complete"})
}

/// The byte offset of the `chars`-th character (cursor positions count code points).
fn byte_offset(text: &str, chars: usize) -> usize {
    text.char_indices()
        .nth(chars)
        .map_or(text.len(), |(i, _)| i)
}

/// `*` and `?` wildcards, as IPython's history search.
fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_matches() {
        assert!(glob("*x*", "a x b"));
        assert!(glob("print*", "print(1)"));
        assert!(!glob("print", "print(1)"));
        assert!(glob("a?c", "abc"));
    }

    #[test]
    fn is_complete_follows_the_repl() {
        let status = |code: &str| is_complete(&json!({"code": code}));
        assert_eq!(status("x = 1")["status"], "complete");
        assert_eq!(status("for i in range(3):")["status"], "incomplete");
        assert_eq!(status("for i in range(3):")["indent"], "    ");
        assert_eq!(status("x = (1,")["status"], "incomplete");
        assert_eq!(status("x = )")["status"], "invalid");
    }
}
