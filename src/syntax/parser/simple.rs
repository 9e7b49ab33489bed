//! Simple statements of Python that name things: `import`, `from ... import`,
//! `assert`, `raise`, `del`, `global`; and `syntax::unsupported` for valid Python that
//! tsr does not run (`try`, `yield`, ...), naming what to write instead.

use super::*;

/// Python keywords tsr does not have, and what to write instead.
const UNSUPPORTED: &[(&str, &str, &str)] = &[
    (
        "try",
        "`try` / `except`",
        "tsr stops at the first error with a diagnostic; check the condition first with `if`",
    ),
    (
        "except",
        "`try` / `except`",
        "tsr stops at the first error with a diagnostic; check the condition first with `if`",
    ),
    (
        "finally",
        "`try` / `finally`",
        "put the clean-up after the code it follows",
    ),
    (
        "yield",
        "generators (`yield`)",
        "build a list and `return` it",
    ),
    (
        "async",
        "`async` code",
        "write the function without `async`",
    ),
    ("await", "`await`", "call the function directly"),
    ("match", "`match` statements", "use `if` / `elif` / `else`"),
];

impl Parser<'_> {
    /// The construct and the advice when a statement starting with `word` is Python
    /// that tsr does not run.
    pub(super) fn unsupported_keyword(&self, word: &str) -> Option<(&'static str, &'static str)> {
        let (_, what, instead) = UNSUPPORTED.iter().find(|(w, ..)| *w == word)?;
        // `match` and the others are plain names unless a statement follows them.
        let next = self.nth(1);
        let statement_like = match word {
            "match" => !matches!(
                next,
                Token::Assign
                    | Token::LParen
                    | Token::Dot
                    | Token::Newline
                    | Token::Eof
                    | Token::LBracket
                    | Token::Comma
            ),
            "try" | "finally" => *next == Token::Colon,
            "except" => true,
            _ => {
                starts_expression(next)
                    || matches!(
                        next,
                        Token::Newline
                            | Token::Eof
                            | Token::Def
                            | Token::For
                            | Token::With
                            | Token::From
                    )
            }
        };
        statement_like.then_some((*what, *instead))
    }

    /// Report the statement at the current token as unsupported and skip its block.
    pub(super) fn unsupported_statement(&mut self) -> PResult<()> {
        let Token::Name(word) = self.peek().clone() else {
            return Err(Fail);
        };
        let Some((what, instead)) = self.unsupported_keyword(&word) else {
            return Err(Fail);
        };
        let span = self.span();
        self.unsupported(span, what, instead);
        self.skip_clause();
        // The clauses of the same `try` (`except`, `else`, `finally`) go with it.
        if word == "try" {
            while matches!(self.peek(), Token::Else)
                || matches!(self.peek(), Token::Name(w) if w == "except" || w == "finally")
            {
                self.skip_clause();
            }
        }
        self.recovered = true;
        Ok(())
    }

    /// Skip a header line and, when it opens one, its indented block.
    fn skip_clause(&mut self) {
        while !matches!(self.peek(), Token::Newline | Token::Eof | Token::Dedent) {
            self.bump();
        }
        self.eat(&Token::Newline);
        if self.at(&Token::Indent) {
            let (in_def, in_loop) = (self.in_def, self.in_loop);
            self.in_def = true;
            self.in_loop = true;
            let _ = self.indented_block();
            self.in_def = in_def;
            self.in_loop = in_loop;
        }
    }

    /// `syntax::unsupported`: valid Python that tsr does not run.
    pub(super) fn unsupported(&mut self, span: Span, what: &str, instead: &str) {
        self.error(
            Diagnostic::error(
                "syntax::unsupported",
                format!("tsr does not support {what}"),
            )
            .primary(span, format!("{what}: valid Python, not part of tsr"))
            .help(instead.to_string()),
        );
    }

    /// dotted_name = NAME { "." NAME }
    fn dotted_name(&mut self, what: &str) -> PResult<Spanned<String>> {
        let first = self.expect_name(what, None)?;
        let mut text = first.node;
        let mut span = first.span;
        while self.eat(&Token::Dot).is_some() {
            let part = self.expect_name("a module name after `.`", None)?;
            text.push('.');
            text.push_str(&part.node);
            span = span.to(part.span);
        }
        Ok(Spanned::new(text, span))
    }

    /// import_stmt = "import" dotted_name [ "as" NAME ] { "," dotted_name [ "as" NAME ] }
    /// (several modules make one `Import` statement each, joined in a block-less list)
    pub(super) fn import_stmt(&mut self) -> PResult<Stmt> {
        let keyword = self.bump();
        let module = self.dotted_name("a module name after `import`")?;
        let alias = match self.eat(&Token::As) {
            Some(_) => Some(self.expect_name("a name after `as`", None)?),
            None => None,
        };
        if self.at(&Token::Comma) {
            let span = self.span();
            self.error(
                Diagnostic::error("syntax::unexpected", "one module per `import` in tsr")
                    .primary(span, "a second module here")
                    .help("write one `import` line per module"),
            );
            return Err(Fail);
        }
        let end = alias.as_ref().map_or(module.span, |a| a.span);
        Ok(Stmt {
            kind: StmtKind::Import { module, alias },
            span: keyword.to(end),
        })
    }

    /// from_stmt = "from" dotted_name "import" ( "*" | import_name { "," import_name } | "(" ... ")" )
    pub(super) fn from_stmt(&mut self) -> PResult<Stmt> {
        let keyword = self.bump();
        let module = self.dotted_name("a module name after `from`")?;
        if self.eat(&Token::Import).is_none() {
            return self.unexpected("`import`", Some("write `from math import exp`".to_string()));
        }
        if self.at(&Token::Star) {
            let span = self.span();
            self.unsupported(
                span,
                "`import *`",
                "name what you use: `from math import exp, log`",
            );
            return Err(Fail);
        }
        let paren = self.at(&Token::LParen);
        let open = if paren {
            Some(self.open(Token::RParen))
        } else {
            None
        };
        let mut names = Vec::new();
        loop {
            let name = self.expect_name("a name to import", None)?;
            let alias = match self.eat(&Token::As) {
                Some(_) => Some(self.expect_name("a name after `as`", None)?),
                None => None,
            };
            names.push((name, alias));
            if self.eat(&Token::Comma).is_none() || (paren && self.at(&Token::RParen)) {
                break;
            }
        }
        if let Some(open) = open {
            self.close(open, Token::RParen, "`,` or `)`", "import list")?;
        }
        let span = keyword.to(Span::new(self.last_end, self.last_end));
        Ok(Stmt {
            kind: StmtKind::FromImport { module, names },
            span,
        })
    }

    /// assert_stmt = "assert" expression [ "," expression ]
    pub(super) fn assert_stmt(&mut self) -> PResult<Stmt> {
        let keyword = self.bump();
        let cond = self.expression(0)?;
        let msg = match self.eat(&Token::Comma) {
            Some(_) => Some(self.expression(0)?),
            None => None,
        };
        let end = msg.as_ref().map_or(cond.span, |m| m.span);
        Ok(Stmt {
            kind: StmtKind::Assert { cond, msg },
            span: keyword.to(end),
        })
    }

    /// raise_stmt = "raise" [ expression [ "from" expression ] ]
    pub(super) fn raise_stmt(&mut self) -> PResult<Stmt> {
        let keyword = self.bump();
        let value = if self.at_statement_end() {
            None
        } else {
            Some(self.expression(0)?)
        };
        if self.eat(&Token::From).is_some() {
            self.expression(0)?;
        }
        let end = value.as_ref().map_or(keyword, |v| v.span);
        Ok(Stmt {
            kind: StmtKind::Raise(value),
            span: keyword.to(end),
        })
    }

    /// del_stmt = "del" target { "," target }
    pub(super) fn del_stmt(&mut self) -> PResult<Stmt> {
        let keyword = self.bump();
        let e = self.expression_list()?;
        let items = match e.kind {
            ExprKind::Tuple(items) => items,
            _ => vec![e],
        };
        let mut targets = Vec::new();
        for item in items {
            match self.target(item, keyword) {
                Some(Target::Tuple { span, .. }) => {
                    self.error(
                        Diagnostic::error("syntax::assign_target", "cannot `del` a list of names")
                            .primary(span, "several names in brackets")
                            .help("write them after `del` separated by commas: `del a, b`"),
                    );
                    return Err(Fail);
                }
                Some(t) => targets.push(t),
                None => return Err(Fail),
            }
        }
        let span = keyword.to(Span::new(self.last_end, self.last_end));
        Ok(Stmt {
            kind: StmtKind::Del(targets),
            span,
        })
    }

    /// global_stmt = "global" NAME { "," NAME }
    /// (`nonlocal` is `syntax::unsupported`: a closure keeps the values it saw)
    pub(super) fn global_stmt(&mut self) -> PResult<Stmt> {
        if self.at(&Token::Nonlocal) {
            let span = self.span();
            self.unsupported(
                span,
                "`nonlocal`",
                "a nested function in tsr keeps the values it saw when defined; return the new value (`count = inc(count)`) or keep it in a list or an object (`state[0] += 1`)",
            );
            return Err(Fail);
        }
        let keyword = self.bump();
        let mut names = Vec::new();
        loop {
            names.push(self.expect_name("a variable name", None)?);
            if self.eat(&Token::Comma).is_none() {
                break;
            }
        }
        let span = keyword.to(Span::new(self.last_end, self.last_end));
        Ok(Stmt {
            kind: StmtKind::Global(names),
            span,
        })
    }
}
