//! The interactive read-eval-print loop over rustyline: `>>> ` prompt, multi-line
//! blocks kept open while the input is incomplete, errors that never end the session.

use crate::parser;
use crate::session::Session;
use rustyline::error::ReadlineError;
use rustyline::DefaultEditor;

/// Run the REPL until Ctrl-D (exit 0) or `:quit`.
pub fn run(mut session: Session) -> u8 {
    let mut editor = match DefaultEditor::new() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: cannot start the line editor: {e}");
            return 2;
        }
    };
    let mut n_inputs = 0usize;
    loop {
        let mut buffer = String::new();
        let mut prompt = ">>> ";
        loop {
            match editor.readline(prompt) {
                Ok(line) => {
                    if !buffer.is_empty() {
                        buffer.push('\n');
                    }
                    buffer.push_str(&line);
                    if line.trim().is_empty() && buffer.trim().is_empty() {
                        buffer.clear();
                        break;
                    }
                    if parser::is_incomplete(&buffer) && !(line.trim().is_empty() && buffer.contains('\n')) {
                        prompt = "... ";
                        continue;
                    }
                    break;
                }
                Err(ReadlineError::Interrupted) => {
                    buffer.clear();
                    break;
                }
                Err(ReadlineError::Eof) => return 0,
                Err(e) => {
                    eprintln!("error: {e}");
                    return 1;
                }
            }
        }
        let input = buffer.trim_end();
        if input.trim().is_empty() {
            continue;
        }
        let _ = editor.add_history_entry(input);
        if matches!(input.trim(), ":quit" | ":q" | "quit()" | "exit()") {
            return 0;
        }
        n_inputs += 1;
        let name = format!("<input {n_inputs}>");
        session.run_repl_input(&name, &format!("{input}\n"));
    }
}
