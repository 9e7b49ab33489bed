//! Statements: one function per statement rule of `grammar.md` (simple statements,
//! `if`/`while`/`for`/`def`, blocks and indentation).

use super::*;

impl Parser<'_> {
    /// program = { NEWLINE | statement } EOF
    pub(super) fn program(&mut self) -> Program {
        let mut stmts = Vec::new();
        loop {
            match self.peek() {
                Token::Eof => break,
                Token::Newline | Token::Dedent => {
                    self.bump();
                }
                Token::Indent => self.stray_block(),
                _ => self.statement(&mut stmts),
            }
        }
        Program { stmts }
    }

    /// statement = compound_stmt | simple_stmts
    pub(super) fn statement(&mut self, out: &mut Vec<Stmt>) {
        let start = self.pos;
        let orphan_ok = std::mem::take(&mut self.orphan_branch_ok);
        let result = match self.peek() {
            Token::If | Token::While | Token::For | Token::Def | Token::Class | Token::With => {
                self.compound_stmt().map(|s| out.push(s))
            }
            Token::At => self.decorated().map(|s| out.push(s)),
            Token::Name(word) if self.unsupported_keyword(word).is_some() => {
                self.unsupported_statement()
            }
            Token::Elif | Token::Else if orphan_ok => {
                // The `if` this branch belongs to failed and was reported; parse the
                // branch for its own errors and drop it.
                let result = self.orphan_branch();
                if result.is_ok() {
                    self.orphan_branch_ok = true;
                }
                result
            }
            Token::Elif | Token::Else => {
                let keyword = self.text(self.span()).to_string();
                let span = self.span();
                self.error(
                    Diagnostic::error("syntax::unexpected", format!("`{keyword}` without a matching `if`"))
                        .primary(span, format!("this `{keyword}` follows no `if` block"))
                        .help(format!(
                            "`{keyword}` must come right after an `if` block, at the same indentation as the `if`"
                        )),
                );
                Err(Fail)
            }
            _ => self.simple_stmts(out),
        };
        match result {
            Ok(()) => self.recovered = false,
            Err(Fail) => {
                let was_if = matches!(
                    self.tokens.get(start).map(|t| &t.node),
                    Some(Token::If | Token::Elif | Token::Else)
                );
                self.recover();
                self.orphan_branch_ok = was_if;
            }
        }
        if self.pos == start && !matches!(self.peek(), Token::Eof | Token::Dedent) {
            self.bump();
        }
    }

    /// An `elif`/`else` whose `if` failed to parse: checked, then dropped.
    pub(super) fn orphan_branch(&mut self) -> PResult<()> {
        let is_elif = self.at(&Token::Elif);
        let keyword = self.bump();
        if is_elif {
            self.expression(0)?;
        }
        self.header_colon(keyword)?;
        self.block(keyword)?;
        Ok(())
    }

    /// An indented block where none was expected, after a statement that failed (the
    /// lexer reports a real unexpected indent). Its statements are checked and dropped;
    /// they may belong to a failed `def` or loop, so no context errors are reported.
    pub(super) fn stray_block(&mut self) {
        if !self.recovered {
            let span = self.span();
            self.error(
                Diagnostic::error("syntax::indent", "unexpected indent")
                    .primary(span, "this line is indented more than the line before it")
                    .help("remove the extra indentation"),
            );
        }
        let (in_def, in_loop) = (self.in_def, self.in_loop);
        self.in_def = true;
        self.in_loop = true;
        let orphan = self.orphan_branch_ok;
        let _ = self.indented_block();
        self.in_def = in_def;
        self.in_loop = in_loop;
        self.orphan_branch_ok = orphan;
        self.recovered = true;
    }

    /// simple_stmts = simple_stmt { ";" simple_stmt } [ ";" ] NEWLINE
    pub(super) fn simple_stmts(&mut self, out: &mut Vec<Stmt>) -> PResult<()> {
        loop {
            if let Some(stmt) = self.simple_stmt()? {
                out.push(stmt);
            }
            if self.eat(&Token::Semicolon).is_none()
                || matches!(self.peek(), Token::Newline | Token::Eof)
            {
                break;
            }
        }
        if matches!(self.peek(), Token::Newline | Token::Eof | Token::Dedent) {
            self.eat(&Token::Newline);
            return Ok(());
        }
        let help = match self.peek() {
            Token::Assign
            | Token::PlusAssign
            | Token::MinusAssign
            | Token::StarAssign
            | Token::SlashAssign => {
                "tsr assigns one target per statement; split it into separate assignments"
                    .to_string()
            }
            Token::Colon => {
                "only `if`, `elif`, `else`, `while`, `for`, `def`, `class` and `with` lines end with `:`".to_string()
            }
            Token::RParen | Token::RBracket => "remove it: it closes nothing".to_string(),
            Token::ColonEq => "`name := value` stands alone only in a condition, an argument or a list; elsewhere put it in parentheses, `(n := 3)`, or assign with `=`".to_string(),
            t if starts_expression(t) => match out.last().map(|s| &s.kind) {
                Some(StmtKind::Expr(Expr {
                    kind: ExprKind::Name(name),
                    ..
                })) => {
                    format!("to call `{name}`, write `{name}(...)`")
                }
                _ => "perhaps an operator or `,` is missing, or `;` between two statements"
                    .to_string(),
            },
            _ => "end the statement here, or put the next one on a new line".to_string(),
        };
        self.unexpected("end of line", Some(help))
    }

    /// simple_stmt = pass_stmt | break_stmt | continue_stmt | return_stmt | import_stmt
    ///             | from_stmt | assert_stmt | raise_stmt | del_stmt | global_stmt | expr_stmt
    pub(super) fn simple_stmt(&mut self) -> PResult<Option<Stmt>> {
        match self.peek() {
            Token::Pass => self.pass_stmt().map(Some),
            Token::Break | Token::Continue => self.break_stmt().map(Some),
            Token::Return => self.return_stmt().map(Some),
            Token::Import => self.import_stmt().map(Some),
            Token::From => self.from_stmt().map(Some),
            Token::Assert => self.assert_stmt().map(Some),
            Token::Raise => self.raise_stmt().map(Some),
            Token::Del => self.del_stmt().map(Some),
            Token::Global | Token::Nonlocal => self.global_stmt().map(Some),
            Token::Name(word) if self.unsupported_keyword(word).is_some() => {
                self.unsupported_statement().map(|_| None)
            }
            _ => self.expr_stmt(),
        }
    }

    /// pass_stmt = "pass"
    pub(super) fn pass_stmt(&mut self) -> PResult<Stmt> {
        let span = self.bump();
        Ok(Stmt {
            kind: StmtKind::Pass,
            span,
        })
    }

    /// break_stmt = "break" | "continue"
    pub(super) fn break_stmt(&mut self) -> PResult<Stmt> {
        let is_break = self.at(&Token::Break);
        let span = self.bump();
        let (kind, word) = if is_break {
            (StmtKind::Break, "break")
        } else {
            (StmtKind::Continue, "continue")
        };
        if !self.in_loop {
            self.error(
                Diagnostic::error("syntax::break_outside", format!("`{word}` outside a loop"))
                    .primary(
                        span,
                        format!("`{word}` is not inside a `for` or `while` loop"),
                    )
                    .help(format!(
                        "`{word}` can only be used inside a loop (a `def` starts a new context)"
                    )),
            );
        }
        Ok(Stmt { kind, span })
    }

    /// return_stmt = "return" [ expression ]
    pub(super) fn return_stmt(&mut self) -> PResult<Stmt> {
        let keyword = self.bump();
        if !self.in_def {
            self.error(
                Diagnostic::error("syntax::return_outside", "`return` outside a function")
                    .primary(keyword, "`return` is not inside a `def`")
                    .help("`return` can only be used inside a function body"),
            );
        }
        let value = if self.at_statement_end() {
            None
        } else {
            Some(self.expression_list()?)
        };
        let end = value.as_ref().map_or(keyword, |v| v.span);
        Ok(Stmt {
            kind: StmtKind::Return(value),
            span: keyword.to(end),
        })
    }

    /// expr_stmt = expression_list ( { "=" expression_list } | assign_op expression_list
    ///             | ":" expression [ "=" expression_list ] )
    pub(super) fn expr_stmt(&mut self) -> PResult<Option<Stmt>> {
        let expr = self.expression_list()?;
        if self.at(&Token::Colon) && matches!(expr.kind, ExprKind::Name(_) | ExprKind::Attr { .. })
        {
            // An annotated assignment `x: int = 3`: the annotation is read and ignored.
            self.bump();
            self.expression(0)?;
            if !self.at(&Token::Assign) {
                let span = expr.span;
                return Ok(Some(Stmt {
                    kind: StmtKind::Pass,
                    span,
                }));
            }
        }
        let Some(op) = assign_op(self.peek()) else {
            let span = expr.span;
            return Ok(Some(Stmt {
                kind: StmtKind::Expr(expr),
                span,
            }));
        };
        let op_span = self.bump();
        let target = self.target(expr, op_span);
        let mut value = self.expression_list()?;
        let mut targets = vec![target];
        // `a = b = 0`: every side but the last is a target.
        while op.is_none() && self.at(&Token::Assign) {
            let next_op = self.bump();
            targets.push(self.target(value, next_op));
            value = self.expression_list()?;
        }
        let targets: Option<Vec<Target>> = targets.into_iter().collect();
        let Some(targets) = targets else {
            return Ok(None);
        };
        if op.is_some() {
            if let Some(t @ Target::Tuple { .. }) = targets.first() {
                let span = t.span();
                self.error(
                    Diagnostic::error(
                        "syntax::assign_target",
                        "cannot use an augmented assignment with several targets",
                    )
                    .primary(span, "several targets")
                    .label(op_span, "augmented assignment here")
                    .help("update each name on its own line"),
                );
                return Ok(None);
            }
        }
        let Some(first) = targets.first() else {
            return Ok(None);
        };
        let span = first.span().to(value.span);
        let kind = match <[_; 1]>::try_from(targets) {
            Ok([target]) => StmtKind::Assign {
                target,
                op,
                op_span,
                value,
            },
            Err(targets) => StmtKind::MultiAssign { targets, value },
        };
        Ok(Some(Stmt { kind, span }))
    }

    /// `syntax::assign_target`: a second `*name` among one unpacking's targets.
    pub(super) fn two_starred(&mut self, first: Span, second: Span) {
        self.error(
            Diagnostic::error(
                "syntax::assign_target",
                "two starred targets in one unpacking",
            )
            .primary(second, "a second starred target")
            .label(first, "the first")
            .help("one `*name` takes the items the other names leave; keep one"),
        );
    }

    /// `for *a in xs:`, as Python: a starred name goes among other names.
    pub(super) fn starred_alone(&mut self, span: Span) {
        self.error(
            Diagnostic::error("syntax::assign_target", "cannot assign to a starred name")
                .primary(span, "a starred name alone")
                .help("a starred name goes among other names: `for first, *rest in rows:`"),
        );
    }

    /// target = NAME | postfix_expr subscript | postfix_expr "." NAME
    ///        | target { "," target } | "(" target_list ")" | "[" target_list "]"
    /// (checked on the parsed left side)
    pub(super) fn target(&mut self, expr: Expr, op_span: Span) -> Option<Target> {
        let span = expr.span;
        let what = match expr.kind {
            ExprKind::Name(name) => return Some(Target::Name(Spanned::new(name, span))),
            ExprKind::Index { object, items } => {
                return Some(Target::Index {
                    object,
                    items,
                    span,
                })
            }
            ExprKind::Attr { object, name } => {
                return Some(Target::Attr { object, name, span });
            }
            ExprKind::Tuple(items) | ExprKind::List(items) if !items.is_empty() => {
                let mut out = Vec::with_capacity(items.len());
                let mut starred: Option<Span> = None;
                for item in items {
                    let item_span = item.span;
                    let ExprKind::Starred(inner) = item.kind else {
                        out.push(self.target(item, op_span)?);
                        continue;
                    };
                    if let Some(first) = starred {
                        self.two_starred(first, item_span);
                        return None;
                    }
                    starred = Some(item_span);
                    let target = Box::new(self.target(*inner, op_span)?);
                    out.push(Target::Starred {
                        target,
                        span: item_span,
                    });
                }
                return Some(Target::Tuple { items: out, span });
            }
            ExprKind::Starred(_) => "a starred name",
            ExprKind::Call { .. } => "a function call",
            ExprKind::Method { .. } => "a method call",
            ExprKind::Number(_) | ExprKind::Str(_) | ExprKind::Bool(_) | ExprKind::None => {
                "a literal"
            }
            ExprKind::FString(_) => "a literal",
            ExprKind::List(_) | ExprKind::Tuple(_) => "an empty list",
            ExprKind::Compare { .. } => "a comparison",
            ExprKind::Binary { op, .. } if op.is_comparison() => "a comparison",
            _ => "an expression",
        };
        let help = match what {
            "a comparison" => "to compare, write `==` alone; to assign, put a name on the left".to_string(),
            "a starred name" => "a starred name goes among other names: `first, *rest = xs`".to_string(),
            _ => "the left side of an assignment must be a name (`x = ...`), an index (`x[i] = ...`), an attribute (`self.w = ...`) or several names (`a, b = ...`)".to_string(),
        };
        self.error(
            Diagnostic::error("syntax::assign_target", format!("cannot assign to {what}"))
                .primary(span, format!("{what} cannot be assigned to"))
                .label(op_span, "assignment here")
                .help(help),
        );
        None
    }

    /// compound_stmt = if_stmt | while_stmt | for_stmt | def_stmt | class_stmt | with_stmt
    pub(super) fn compound_stmt(&mut self) -> PResult<Stmt> {
        match self.peek() {
            Token::If => self.if_stmt(),
            Token::While => self.while_stmt(),
            Token::For => self.for_stmt(),
            Token::Class => self.class_stmt(),
            Token::With => self.with_stmt(),
            _ => self.def_stmt(false, Vec::new()),
        }
    }

    /// if_stmt = "if" condition ":" block { "elif" condition ":" block } [ "else" ":" block ]
    pub(super) fn if_stmt(&mut self) -> PResult<Stmt> {
        let keyword = self.bump();
        let mut branches = Vec::new();
        let cond = self.condition()?;
        self.header_colon(keyword)?;
        branches.push((cond, self.block(keyword)?));
        let mut else_body = None;
        loop {
            match self.peek() {
                Token::Elif => {
                    let elif = self.bump();
                    let cond = self.condition()?;
                    self.header_colon(elif)?;
                    branches.push((cond, self.block(elif)?));
                }
                Token::Else => {
                    let else_span = self.bump();
                    self.header_colon(else_span)?;
                    else_body = Some(self.block(else_span)?);
                    break;
                }
                _ => break,
            }
        }
        let span = keyword.to(Span::new(self.last_end, self.last_end));
        Ok(Stmt {
            kind: StmtKind::If {
                branches,
                else_body,
            },
            span,
        })
    }

    /// while_stmt = "while" condition ":" block
    pub(super) fn while_stmt(&mut self) -> PResult<Stmt> {
        let keyword = self.bump();
        let cond = self.condition()?;
        self.header_colon(keyword)?;
        let in_loop = std::mem::replace(&mut self.in_loop, true);
        let body = self.block(keyword);
        self.in_loop = in_loop;
        self.loop_else();
        let span = keyword.to(Span::new(self.last_end, self.last_end));
        Ok(Stmt {
            kind: StmtKind::While { cond, body: body? },
            span,
        })
    }

    /// for_stmt = "for" target_list "in" expression_list ":" block
    pub(super) fn for_stmt(&mut self) -> PResult<Stmt> {
        let keyword = self.bump();
        if !starts_expression(self.peek()) && !self.at(&Token::Star) {
            self.expect_name("a loop variable name after `for`", None)?;
        }
        let target = self.target_list()?;
        if !self.at(&Token::In) {
            return self.unexpected("`in`", Some("write `for name in values:`".to_string()));
        }
        self.bump();
        let iter = self.expression_list()?;
        self.header_colon(keyword)?;
        let in_loop = std::mem::replace(&mut self.in_loop, true);
        let body = self.block(keyword);
        self.in_loop = in_loop;
        self.loop_else();
        let span = keyword.to(Span::new(self.last_end, self.last_end));
        Ok(Stmt {
            kind: StmtKind::For {
                target,
                iter,
                body: body?,
            },
            span,
        })
    }

    /// A loop's `else:` clause (valid Python, run when the loop ends without `break`)
    /// is `syntax::unsupported`; its block is read and dropped.
    fn loop_else(&mut self) {
        if !self.at(&Token::Else) {
            return;
        }
        let span = self.span();
        self.unsupported(
            span,
            "`else` on a loop",
            "set a flag before `break` (`found = True`) and test it after the loop",
        );
        let keyword = self.bump();
        if self.header_colon(keyword).is_ok() {
            let _ = self.block(keyword);
        }
    }

    /// condition = expression   (a following `=` is reported as a likely `==`)
    pub(super) fn condition(&mut self) -> PResult<Expr> {
        let cond = self.named_test()?;
        if self.at(&Token::Assign) {
            let span = self.bump();
            self.error(
                Diagnostic::error("syntax::unexpected", "expected `:`, found `=`")
                    .primary(span, "assignment is not allowed in a condition")
                    .help("did you mean `==`?"),
            );
            // Read on as if `==` had been written, so the block is still checked.
            self.expression(0)?;
        }
        Ok(cond)
    }

    /// The `:` ending a block header. A missing `:` at the end of the line is reported
    /// and parsing goes on as if it were there.
    pub(super) fn header_colon(&mut self, keyword: Span) -> PResult<()> {
        if self.eat(&Token::Colon).is_some() {
            return Ok(());
        }
        let word = self.text(keyword).to_string();
        if matches!(self.peek(), Token::Newline | Token::Eof) {
            let found = self.found();
            let at = self.after_last();
            self.error(
                Diagnostic::error("syntax::unexpected", format!("expected `:`, found {found}"))
                    .primary(at, "expected `:` here")
                    .label(keyword, format!("this `{word}` line opens a block"))
                    .help("add `:` at the end of the line"),
            );
            return Ok(());
        }
        let help = if starts_expression(self.peek()) {
            "perhaps an operator is missing in the condition".to_string()
        } else {
            format!("end the `{word}` line with `:`")
        };
        self.unexpected("`:`", Some(help))
    }

    /// block = simple_stmts | NEWLINE indented_block
    pub(super) fn block(&mut self, opener: Span) -> PResult<Vec<Stmt>> {
        if self.eat(&Token::Newline).is_none() {
            let mut body = Vec::new();
            if self.simple_stmts(&mut body).is_err() {
                // Recover here, so that an `elif`/`else` on the next line still attaches.
                self.recover();
            }
            return Ok(body);
        }
        if self.at(&Token::Indent) {
            return self.indented_block();
        }
        let word = self.text(opener).to_string();
        let found = self.found();
        let span = self.span();
        self.error(
            Diagnostic::error(
                "syntax::indent",
                format!("expected an indented block after `{word}`, found {found}"),
            )
            .primary(span, "expected an indented line here")
            .label(opener, format!("this `{word}` needs a body"))
            .help("indent the body (4 spaces is usual); write `pass` for an empty body"),
        );
        Ok(Vec::new())
    }

    /// indented_block = INDENT statement { statement } DEDENT
    pub(super) fn indented_block(&mut self) -> PResult<Vec<Stmt>> {
        let indent = self.bump();
        self.blocks += 1;
        if self.blocks > MAX_BLOCKS {
            self.blocks -= 1;
            self.error(
                Diagnostic::error(
                    "syntax::too_deep",
                    format!("blocks nested more than {MAX_BLOCKS} deep"),
                )
                .primary(indent, "too deeply nested")
                .help("move the inner code into a function"),
            );
            // Skip the whole block without recursing into it.
            let mut open = 1usize;
            while open > 0 && !self.at(&Token::Eof) {
                match self.peek() {
                    Token::Indent => open += 1,
                    Token::Dedent => open -= 1,
                    _ => {}
                }
                self.bump();
            }
            self.recovered = true;
            return Err(Fail);
        }
        let mut body = Vec::new();
        loop {
            match self.peek() {
                Token::Dedent => {
                    self.bump();
                    break;
                }
                Token::Eof => break,
                Token::Newline => {
                    self.bump();
                }
                Token::Indent => self.stray_block(),
                _ => self.statement(&mut body),
            }
        }
        self.blocks -= 1;
        Ok(body)
    }

    // ------------------------------------------------------------------ expressions
}
