//! Expressions: Pratt parsing with the binding powers of `mod.rs`, postfix chains
//! (calls, subscripts, attributes), atoms and displays (lists, tuples, dicts, sets and
//! their comprehensions), conditional expressions and `lambda`.

use super::*;

fn comp(kind: CompKind, elt: Expr, value: Option<Expr>, clauses: Vec<CompFor>, span: Span) -> Expr {
    Expr::new(
        ExprKind::Comp {
            kind,
            elt: Box::new(elt),
            value: value.map(Box::new),
            clauses,
        },
        span,
    )
}

impl Parser<'_> {
    /// expression = prefix_expr { binary_op prefix_expr }
    ///
    /// Pratt parsing: `min_bp` is the weakest operator this call may take. Each call
    /// adds one level of nesting; each operator applied in the loop adds one more, so
    /// that the tree built stays within `MAX_DEPTH` and nothing that walks it can
    /// overflow the stack.
    pub(super) fn expression(&mut self, min_bp: u8) -> PResult<Expr> {
        let saved_depth = self.depth;
        let result = if min_bp == 0 {
            self.test()
        } else {
            self.expression_inner(min_bp)
        };
        self.depth = saved_depth;
        result
    }

    /// test = lambda_expr | or_test [ "if" or_test "else" test ]
    pub(super) fn test(&mut self) -> PResult<Expr> {
        if self.at(&Token::Lambda) {
            return self.lambda();
        }
        let then = self.expression_inner(0)?;
        if !self.at(&Token::If) {
            return Ok(then);
        }
        self.bump();
        let cond = self.expression(1)?;
        if self.eat(&Token::Else).is_none() {
            return self.unexpected(
                "`else`",
                Some("a conditional expression is `a if condition else b`".to_string()),
            );
        }
        self.deeper()?;
        let orelse = self.expression(0)?;
        let span = then.span.to(orelse.span);
        Ok(Expr::new(
            ExprKind::IfExp {
                cond: Box::new(cond),
                then: Box::new(then),
                orelse: Box::new(orelse),
            },
            span,
        ))
    }

    /// lambda_expr = "lambda" [ param { "," param } ] ":" test
    pub(super) fn lambda(&mut self) -> PResult<Expr> {
        let keyword = self.bump();
        self.lambda_params = true;
        let params = self.param_list(&Token::Colon);
        self.lambda_params = false;
        let params = params?;
        if self.eat(&Token::Colon).is_none() {
            return self.unexpected("`:`", Some("write `lambda x: x * 2`".to_string()));
        }
        let in_def = std::mem::replace(&mut self.in_def, true);
        let body = self.expression(0);
        self.in_def = in_def;
        let body = body?;
        let span = keyword.to(body.span);
        let ret = Stmt {
            kind: StmtKind::Return(Some(body)),
            span,
        };
        Ok(Expr::new(
            ExprKind::Lambda {
                params,
                body: Rc::new(vec![ret]),
            },
            span,
        ))
    }

    /// expression_list = star_expr { "," star_expr } [ "," ]: several make a tuple.
    pub(super) fn expression_list(&mut self) -> PResult<Expr> {
        let first = self.star_expr()?;
        if !self.at(&Token::Comma) {
            return Ok(first);
        }
        let mut items = vec![first];
        while self.eat(&Token::Comma).is_some() {
            let more = starts_expression(self.peek())
                || matches!(
                    self.peek(),
                    Token::Star | Token::Minus | Token::Plus | Token::Tilde
                );
            if !more {
                break;
            }
            items.push(self.star_expr()?);
        }
        let span = items[0].span.to(Span::new(self.last_end, self.last_end));
        Ok(Expr::new(ExprKind::Tuple(items), span))
    }

    /// named_expr = NAME ":=" expression | star_expr: an item of a list, tuple or set
    /// display.
    pub(super) fn named_expr(&mut self) -> PResult<Expr> {
        match self.walrus() {
            Some(e) => e,
            None => self.star_expr(),
        }
    }

    /// named_test = NAME ":=" expression | expression: a condition or a positional
    /// argument.
    pub(super) fn named_test(&mut self) -> PResult<Expr> {
        match self.walrus() {
            Some(e) => e,
            None => self.expression(0),
        }
    }

    /// `NAME := expression`, where Python allows an assignment expression without
    /// parentheses (a condition, a positional argument, an item of a display); elsewhere
    /// (`x = y := 1`) it needs them, and `:=` is then a syntax error.
    fn walrus(&mut self) -> Option<PResult<Expr>> {
        if let (Token::Name(name), Token::ColonEq) = (self.peek().clone(), self.nth(1)) {
            let name_span = self.bump();
            self.bump();
            if let Err(e) = self.deeper() {
                return Some(Err(e));
            }
            let value = match self.expression(0) {
                Ok(v) => v,
                Err(e) => return Some(Err(e)),
            };
            let span = name_span.to(value.span);
            return Some(Ok(Expr::new(
                ExprKind::Walrus {
                    name: Spanned {
                        node: name,
                        span: name_span,
                    },
                    value: Box::new(value),
                },
                span,
            )));
        }
        None
    }

    /// star_expr = "*" expression | expression
    pub(super) fn star_expr(&mut self) -> PResult<Expr> {
        if self.at(&Token::Star) {
            let star = self.bump();
            let inner = self.expression(CMP_BP.0)?;
            let span = star.to(inner.span);
            return Ok(Expr::new(ExprKind::Starred(Box::new(inner)), span));
        }
        self.expression(0)
    }

    pub(super) fn deeper(&mut self) -> PResult<()> {
        self.depth += 1;
        if self.depth <= MAX_DEPTH {
            return Ok(());
        }
        let span = self.span();
        self.error(
            Diagnostic::error(
                "syntax::too_deep",
                format!("expression nested more than {MAX_DEPTH} levels deep"),
            )
            .primary(span, "nesting passes the limit here")
            .help("split the expression into smaller parts with intermediate variables"),
        );
        Err(Fail)
    }

    pub(super) fn expression_inner(&mut self, min_bp: u8) -> PResult<Expr> {
        self.deeper()?;
        let mut lhs = self.prefix_expr(min_bp)?;
        while let Some(op) = self.infix_here() {
            match op {
                Infix::Logic(op, (l_bp, r_bp)) => {
                    if l_bp < min_bp {
                        break;
                    }
                    self.bump();
                    let rhs = self.expression(r_bp)?;
                    let span = lhs.span.to(rhs.span);
                    lhs = Expr::new(
                        ExprKind::Logic {
                            op,
                            lhs: Box::new(lhs),
                            rhs: Box::new(rhs),
                        },
                        span,
                    );
                }
                Infix::Binary(op, (l_bp, r_bp)) => {
                    if l_bp < min_bp {
                        break;
                    }
                    let op_span = self.bump();
                    let rhs = self.expression(r_bp)?;
                    let span = lhs.span.to(rhs.span);
                    lhs = Expr::new(
                        ExprKind::Binary {
                            op,
                            op_span,
                            lhs: Box::new(lhs),
                            rhs: Box::new(rhs),
                        },
                        span,
                    );
                }
                Infix::Compare => {
                    if CMP_BP.0 < min_bp {
                        break;
                    }
                    lhs = self.comparison(lhs)?;
                }
            }
            self.deeper()?;
        }
        Ok(lhs)
    }

    /// comparison = expression comp_op expression { comp_op expression }
    /// (operands parsed above comparison power; entered with the first one parsed)
    pub(super) fn comparison(&mut self, first: Expr) -> PResult<Expr> {
        let mut rest = Vec::new();
        while let Some(op) = self.comparison_here() {
            let mut op_span = self.bump();
            if matches!(op, BinOp::NotIn | BinOp::IsNot) {
                op_span = op_span.to(self.bump());
            }
            let rhs = self.expression(CMP_BP.1)?;
            rest.push((op, op_span, rhs));
        }
        let span = first.span.to(rest.last().map_or(first.span, |r| r.2.span));
        // One comparison is a binary operation; a chain (`a < b < c`) is a `Compare`.
        let kind = match <[_; 1]>::try_from(rest) {
            Ok([(op, op_span, rhs)]) => ExprKind::Binary {
                op,
                op_span,
                lhs: Box::new(first),
                rhs: Box::new(rhs),
            },
            Err(rest) => ExprKind::Compare {
                first: Box::new(first),
                rest,
            },
        };
        Ok(Expr::new(kind, span))
    }

    /// The infix operator at the current token, `not in` included.
    pub(super) fn infix_here(&mut self) -> Option<Infix> {
        if self.at(&Token::Not) && *self.nth(1) == Token::In {
            return Some(Infix::Compare);
        }
        infix(self.peek())
    }

    /// The comparison operator starting at the current token (`not in` and `is not`
    /// take two tokens).
    pub(super) fn comparison_here(&self) -> Option<BinOp> {
        match (self.peek(), self.nth(1)) {
            (Token::Not, Token::In) => Some(BinOp::NotIn),
            (Token::Is, Token::Not) => Some(BinOp::IsNot),
            (t, _) => comparison_op(t),
        }
    }

    /// prefix_expr = ( "-" | "+" ) expression | "not" expression | postfix_expr
    /// (the operand of `-`/`+` binds tighter than `*`, that of `not` tighter than `and`)
    pub(super) fn prefix_expr(&mut self, min_bp: u8) -> PResult<Expr> {
        let op = match self.peek() {
            Token::Minus => UnaryOp::Neg,
            Token::Plus => UnaryOp::Plus,
            Token::Tilde => UnaryOp::Invert,
            Token::Not if min_bp > NOT_BP => {
                return self.unexpected(
                    "an expression",
                    Some(
                        "a `not` inside a comparison or arithmetic needs parentheses: `(not x)`"
                            .to_string(),
                    ),
                );
            }
            Token::Not => UnaryOp::Not,
            _ => return self.postfix_expr(),
        };
        let op_span = self.bump();
        let operand = self.expression(if op == UnaryOp::Not { NOT_BP } else { UNARY_BP })?;
        let span = op_span.to(operand.span);
        Ok(Expr::new(
            ExprKind::Unary {
                op,
                operand: Box::new(operand),
            },
            span,
        ))
    }

    /// postfix_expr = atom { arguments | subscript | "." NAME [ arguments ] }
    pub(super) fn postfix_expr(&mut self) -> PResult<Expr> {
        let mut expr = self.atom()?;
        loop {
            match self.peek() {
                Token::LParen => {
                    let (args, close) = self.arguments()?;
                    let span = expr.span.to(close);
                    expr = Expr::new(
                        ExprKind::Call {
                            callee: Box::new(expr),
                            args,
                        },
                        span,
                    );
                }
                Token::LBracket => {
                    let (items, close) = self.subscript()?;
                    let span = expr.span.to(close);
                    expr = Expr::new(
                        ExprKind::Index {
                            object: Box::new(expr),
                            items,
                        },
                        span,
                    );
                }
                Token::Dot => {
                    self.bump();
                    let name = self.expect_name(
                        "a name after `.`",
                        Some(
                            "write a property or method name, as in `x.T` or `x.sum()`".to_string(),
                        ),
                    )?;
                    if self.at(&Token::LParen) {
                        let (args, close) = self.arguments()?;
                        let span = expr.span.to(close);
                        expr = Expr::new(
                            ExprKind::Method {
                                receiver: Box::new(expr),
                                name,
                                args,
                            },
                            span,
                        );
                    } else {
                        let span = expr.span.to(name.span);
                        expr = Expr::new(
                            ExprKind::Attr {
                                object: Box::new(expr),
                                name,
                            },
                            span,
                        );
                    }
                }
                _ => break,
            }
            self.deeper()?;
        }
        Ok(expr)
    }

    /// arguments = "(" [ argument { "," argument } [ "," ] ] ")"
    pub(super) fn arguments(&mut self) -> PResult<(Vec<Arg>, Span)> {
        let open = self.open(Token::RParen);
        let mut args: Vec<Arg> = Vec::new();
        while !self.at(&Token::RParen) {
            let arg = self.argument()?;
            match &arg.name {
                Some(name) => {
                    if let Some(earlier) = args
                        .iter()
                        .filter_map(|a| a.name.as_ref())
                        .find(|n| n.node == name.node)
                    {
                        let earlier = earlier.span;
                        self.error(
                            Diagnostic::error(
                                "syntax::argument",
                                format!("keyword argument `{}` repeated", name.node),
                            )
                            .primary(name.span, "given again here")
                            .label(earlier, "first given here")
                            .help("give each keyword argument once"),
                        );
                    }
                }
                None if matches!(arg.value.kind, ExprKind::DoubleStarred(_)) => {}
                None => {
                    let keyword = args.iter().find_map(|a| match (&a.name, &a.value.kind) {
                        (Some(n), _) => Some(n.span),
                        (None, ExprKind::DoubleStarred(_)) => Some(a.value.span),
                        _ => None,
                    });
                    if let Some(keyword) = keyword {
                        self.error(
                            Diagnostic::error(
                                "syntax::argument",
                                "positional argument after keyword argument",
                            )
                            .primary(arg.value.span, "positional argument")
                            .label(keyword, "keyword argument before it")
                            .help("put positional arguments before keyword arguments"),
                        );
                    }
                }
            }
            args.push(arg);
            if self.eat(&Token::Comma).is_none() {
                break;
            }
        }
        let close = self.close(open, Token::RParen, "`,` or `)`", "call")?;
        Ok((args, close))
    }

    /// argument = [ NAME "=" ] expression | "*" expression | "**" expression
    ///          | expression comp_for
    pub(super) fn argument(&mut self) -> PResult<Arg> {
        if self.at(&Token::StarStar) {
            let star = self.bump();
            let inner = self.expression(CMP_BP.0)?;
            let span = star.to(inner.span);
            return Ok(Arg {
                name: None,
                value: Expr::new(ExprKind::DoubleStarred(Box::new(inner)), span),
            });
        }
        if self.at(&Token::Star) {
            return Ok(Arg {
                name: None,
                value: self.star_expr()?,
            });
        }
        if self.at(&Token::For) {
            return self.unexpected("an expression", None);
        }
        if let (Token::Name(name), Token::Assign) = (self.peek(), self.nth(1)) {
            let name = name.clone();
            let name_span = self.bump();
            self.bump();
            let value = self.expression(0)?;
            return Ok(Arg {
                name: Some(Spanned::new(name, name_span)),
                value,
            });
        }
        let value = self.named_test()?;
        if self.at(&Token::For) {
            let start = value.span;
            let (clauses, end) = self.comp_clauses()?;
            let span = start.to(end);
            return Ok(Arg {
                name: None,
                value: Expr::new(
                    ExprKind::Comp {
                        kind: CompKind::Gen,
                        elt: Box::new(value),
                        value: None,
                        clauses,
                    },
                    span,
                ),
            });
        }
        Ok(Arg { name: None, value })
    }

    /// comp_for = "for" target_list "in" or_test { "if" or_test } [ comp_for ]
    /// Returns the clauses and the end of the last one.
    pub(super) fn comp_clauses(&mut self) -> PResult<(Vec<CompFor>, Span)> {
        let mut clauses = Vec::new();
        while self.at(&Token::For) {
            self.bump();
            let target = self.target_list()?;
            if self.eat(&Token::In).is_none() {
                return self.unexpected("`in`", Some("write `for x in values`".to_string()));
            }
            let iter = self.expression(1)?;
            let mut conds = Vec::new();
            while self.eat(&Token::If).is_some() {
                conds.push(self.expression(1)?);
            }
            clauses.push(CompFor {
                target,
                iter,
                conds,
            });
            self.deeper()?;
        }
        Ok((clauses, Span::new(self.last_end, self.last_end)))
    }

    /// target_list = target_atom { "," target_atom } [ "," ]: the names before `in` of a
    /// `for`, parsed above comparisons so that `in` ends them.
    pub(super) fn target_list(&mut self) -> PResult<Target> {
        let start = self.span();
        let mut items = Vec::new();
        let mut starred: Option<Span> = None;
        loop {
            let star = self.eat(&Token::Star);
            let e = self.expression(CMP_BP.0 + 1)?;
            let op_span = self.span();
            let span = star.map_or(e.span, |s| s.to(e.span));
            let Some(t) = self.target(e, op_span) else {
                return Err(Fail);
            };
            match star {
                // `for a, *rest in ...`
                Some(_) => {
                    if let Some(first) = starred {
                        self.two_starred(first, span);
                        return Err(Fail);
                    }
                    starred = Some(span);
                    items.push(Target::Starred {
                        target: Box::new(t),
                        span,
                    })
                }
                None => items.push(t),
            }
            if self.eat(&Token::Comma).is_none() || self.at(&Token::In) {
                break;
            }
        }
        if items.len() == 1 && !matches!(self.tokens[self.pos - 1].node, Token::Comma) {
            if let (Some(span), Some(Target::Starred { .. })) = (starred, items.first()) {
                self.starred_alone(span);
                return Err(Fail);
            }
            if let Some(t) = items.pop() {
                return Ok(t);
            }
        }
        let span = start.to(Span::new(self.last_end, self.last_end));
        Ok(Target::Tuple { items, span })
    }

    /// subscript = "[" index_item { "," index_item } [ "," ] "]"
    pub(super) fn subscript(&mut self) -> PResult<(Vec<IndexItem>, Span)> {
        let open = self.open(Token::RBracket);
        if self.at(&Token::RBracket) {
            return self.unexpected(
                "an index",
                Some("write an index such as `x[0]` or a slice such as `x[1:3]`".to_string()),
            );
        }
        let mut items = Vec::new();
        while !self.at(&Token::RBracket) {
            items.push(self.index_item()?);
            if self.eat(&Token::Comma).is_none() {
                break;
            }
        }
        let close = self.close(open, Token::RBracket, "`,` or `]`", "index")?;
        Ok((items, close))
    }

    /// index_item = expression | [ expression ] ":" [ expression ] [ ":" [ expression ] ]
    pub(super) fn index_item(&mut self) -> PResult<IndexItem> {
        let first = self.span();
        if self.at(&Token::Ellipsis) {
            let span = self.bump();
            return Ok(IndexItem::Ellipsis(span));
        }
        let start = if self.at(&Token::Colon) {
            None
        } else {
            Some(self.expression(0)?)
        };
        let start = match start {
            Some(e) if !self.at(&Token::Colon) => return Ok(IndexItem::Index(e)),
            start => start,
        };
        self.bump();
        let slice_end = |t: &Token| matches!(t, Token::Colon | Token::Comma | Token::RBracket);
        let stop = if slice_end(self.peek()) {
            None
        } else {
            Some(self.expression(0)?)
        };
        let mut step = None;
        if self.eat(&Token::Colon).is_some()
            && !matches!(self.peek(), Token::Comma | Token::RBracket)
        {
            step = Some(self.expression(0)?);
        }
        let span = first.to(Span::new(self.last_end, self.last_end));
        Ok(IndexItem::Slice {
            start,
            stop,
            step,
            span,
        })
    }

    /// atom = NUMBER | STRING | "True" | "False" | "None" | NAME | list_display | paren_expr
    pub(super) fn atom(&mut self) -> PResult<Expr> {
        let span = self.span();
        let kind = match self.peek().clone() {
            Token::Number(n) => ExprKind::Number(n),
            Token::True => ExprKind::Bool(true),
            Token::False => ExprKind::Bool(false),
            Token::None => ExprKind::None,
            Token::Name(name) => ExprKind::Name(name),
            Token::LBracket => return self.list_display(),
            Token::LParen => return self.paren_expr(),
            Token::LBrace => return self.brace_display(),
            Token::FStr((start, end)) => {
                let parts = self.fstring_parts(start, end)?;
                self.bump();
                return Ok(Expr::new(ExprKind::FString(parts), span));
            }
            Token::Str(first) => {
                // Adjacent string literals are one string: `"a" "b"` is `"ab"`.
                let mut text = first;
                let mut end = self.bump();
                while let Token::Str(more) = self.peek().clone() {
                    text.push_str(&more);
                    end = self.bump();
                }
                if matches!(self.peek(), Token::FStr(..)) {
                    let mut parts = vec![FPart::Lit(text)];
                    while let Token::FStr((a, b)) = *self.peek() {
                        parts.extend(self.fstring_parts(a, b)?);
                        end = self.bump();
                        if let Token::Str(more) = self.peek().clone() {
                            parts.push(FPart::Lit(more));
                            end = self.bump();
                        }
                    }
                    return Ok(Expr::new(ExprKind::FString(parts), span.to(end)));
                }
                return Ok(Expr::new(ExprKind::Str(text), span.to(end)));
            }
            token => return self.missing_expression(&token),
        };
        self.bump();
        Ok(Expr::new(kind, span))
    }

    /// Report a token found where an expression should start, with a help for the
    /// usual causes.
    pub(super) fn missing_expression<T>(&mut self, token: &Token) -> PResult<T> {
        let previous = self.pos.checked_sub(1).map(|i| self.tokens[i].clone());
        let help = match token {
            Token::Newline | Token::Eof | Token::Semicolon | Token::Dedent => match previous {
                Some(p) if p.node.is_operator() => {
                    format!("add the missing operand after `{}`", self.text(p.span))
                }
                _ => "write an expression here".to_string(),
            },
            Token::RParen | Token::RBracket | Token::Comma => match previous {
                Some(p) if p.node == Token::Comma => "remove the extra `,`".to_string(),
                _ => "write an expression here".to_string(),
            },
            Token::Assign => "did you mean `==`?".to_string(),
            t if t.is_keyword() => {
                format!(
                    "`{}` is a keyword; it cannot start an expression",
                    self.text(self.span())
                )
            }
            Token::StarStar
            | Token::Star
            | Token::Slash
            | Token::Percent
            | Token::At
            | Token::Amp
            | Token::Caret
            | Token::Pipe => "this operator needs an operand on its left".to_string(),
            _ => "write an expression here".to_string(),
        };
        self.unexpected("an expression", Some(help))
    }

    /// list_display = "[" [ star_expr { "," star_expr } [ "," ] | expression comp_for ] "]"
    pub(super) fn list_display(&mut self) -> PResult<Expr> {
        let open = self.open(Token::RBracket);
        let mut items = Vec::new();
        while !self.at(&Token::RBracket) {
            items.push(self.named_expr()?);
            if let (1, true) = (items.len(), self.at(&Token::For)) {
                let Some(elt) = items.pop() else { break };
                let (clauses, _) = self.comp_clauses()?;
                let close = self.close(open, Token::RBracket, "`]`", "list")?;
                return Ok(comp(CompKind::List, elt, None, clauses, open.to(close)));
            }
            if self.eat(&Token::Comma).is_none() {
                break;
            }
        }
        let close = self.close(open, Token::RBracket, "`,` or `]`", "list")?;
        Ok(Expr::new(ExprKind::List(items), open.to(close)))
    }

    /// paren_expr = "(" [ star_expr { "," star_expr } [ "," ] | expression comp_for ] ")":
    /// a parenthesised expression, a tuple (`()`, `(x,)`, `(a, b)`) or a generator.
    pub(super) fn paren_expr(&mut self) -> PResult<Expr> {
        let open = self.open(Token::RParen);
        let mut items = Vec::new();
        let mut trailing_comma = false;
        while !self.at(&Token::RParen) {
            items.push(self.named_expr()?);
            trailing_comma = false;
            if let (1, true) = (items.len(), self.at(&Token::For)) {
                let Some(elt) = items.pop() else { break };
                let (clauses, _) = self.comp_clauses()?;
                let close = self.close(open, Token::RParen, "`)`", "parenthesised")?;
                return Ok(comp(CompKind::Gen, elt, None, clauses, open.to(close)));
            }
            if self.eat(&Token::Comma).is_none() {
                break;
            }
            trailing_comma = true;
        }
        let close = self.close(open, Token::RParen, "`,` or `)`", "parenthesised")?;
        if items.len() == 1 && !trailing_comma && !matches!(items[0].kind, ExprKind::Starred(_)) {
            if let Some(mut inner) = items.pop() {
                inner.span = open.to(close);
                return Ok(inner);
            }
        }
        Ok(Expr::new(ExprKind::Tuple(items), open.to(close)))
    }

    /// brace_display = "{" [ dict_items | set_items | dict or set comprehension ] "}"
    pub(super) fn brace_display(&mut self) -> PResult<Expr> {
        let open = self.open(Token::RBrace);
        if let Some(close) = self.eat(&Token::RBrace) {
            self.open_brackets.pop();
            return Ok(Expr::new(ExprKind::Dict(Vec::new()), open.to(close)));
        }
        let first = self.star_expr()?;
        if self.eat(&Token::Colon).is_none() {
            // A set: `{a, b}` or `{x for x in xs}`.
            if self.at(&Token::For) {
                let (clauses, _) = self.comp_clauses()?;
                let close = self.close(open, Token::RBrace, "`}`", "set")?;
                return Ok(comp(CompKind::Set, first, None, clauses, open.to(close)));
            }
            let mut items = vec![first];
            while self.eat(&Token::Comma).is_some() && !self.at(&Token::RBrace) {
                items.push(self.named_expr()?);
            }
            let close = self.close(open, Token::RBrace, "`,` or `}`", "set")?;
            return Ok(Expr::new(ExprKind::Set(items), open.to(close)));
        }
        let value = self.expression(0)?;
        if self.at(&Token::For) {
            let (clauses, _) = self.comp_clauses()?;
            let close = self.close(open, Token::RBrace, "`}`", "dict")?;
            return Ok(comp(
                CompKind::Dict,
                first,
                Some(value),
                clauses,
                open.to(close),
            ));
        }
        let mut pairs = vec![(first, value)];
        while self.eat(&Token::Comma).is_some() && !self.at(&Token::RBrace) {
            let key = self.expression(0)?;
            if self.eat(&Token::Colon).is_none() {
                return self.unexpected(
                    "`:` after the key",
                    Some("every item of a dict is `key: value`".to_string()),
                );
            }
            let value = self.expression(0)?;
            pairs.push((key, value));
        }
        let close = self.close(open, Token::RBrace, "`,` or `}`", "dict")?;
        Ok(Expr::new(ExprKind::Dict(pairs), open.to(close)))
    }
}
