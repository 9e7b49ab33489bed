//! Expressions: Pratt parsing with the binding powers of `mod.rs`, postfix chains
//! (calls, subscripts, attributes), atoms and displays.

use super::*;

impl Parser<'_> {
    /// expression = prefix_expr { binary_op prefix_expr }
    ///
    /// Pratt parsing: `min_bp` is the weakest operator this call may take. Each call
    /// adds one level of nesting; each operator applied in the loop adds one more, so
    /// that the tree built stays within `MAX_DEPTH` and nothing that walks it can
    /// overflow the stack.
    pub(super) fn expression(&mut self, min_bp: u8) -> PResult<Expr> {
        let saved_depth = self.depth;
        let result = self.expression_inner(min_bp);
        self.depth = saved_depth;
        result
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
        while let Some(op) = infix(self.peek()) {
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
        while let Some(op) = comparison_op(self.peek()) {
            let op_span = self.bump();
            let rhs = self.expression(CMP_BP.1)?;
            rest.push((op, op_span, rhs));
        }
        let span = first.span.to(rest.last().map_or(first.span, |r| r.2.span));
        if rest.len() == 1 {
            let (op, op_span, rhs) = rest.pop().expect("one comparison");
            return Ok(Expr::new(
                ExprKind::Binary {
                    op,
                    op_span,
                    lhs: Box::new(first),
                    rhs: Box::new(rhs),
                },
                span,
            ));
        }
        Ok(Expr::new(
            ExprKind::Compare {
                first: Box::new(first),
                rest,
            },
            span,
        ))
    }

    /// prefix_expr = ( "-" | "+" ) expression | "not" expression | postfix_expr
    /// (the operand of `-`/`+` binds tighter than `*`, that of `not` tighter than `and`)
    pub(super) fn prefix_expr(&mut self, min_bp: u8) -> PResult<Expr> {
        let op = match self.peek() {
            Token::Minus => UnaryOp::Neg,
            Token::Plus => UnaryOp::Plus,
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
                None => {
                    if let Some(keyword) = args.iter().find_map(|a| a.name.as_ref()) {
                        let keyword = keyword.span;
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

    /// argument = [ NAME "=" ] expression
    pub(super) fn argument(&mut self) -> PResult<Arg> {
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
        Ok(Arg {
            name: None,
            value: self.expression(0)?,
        })
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
        let start = if self.at(&Token::Colon) {
            None
        } else {
            Some(self.expression(0)?)
        };
        if !self.at(&Token::Colon) {
            return Ok(IndexItem::Index(start.expect("an index expression")));
        }
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
            Token::Str(s) => ExprKind::Str(s),
            Token::True => ExprKind::Bool(true),
            Token::False => ExprKind::Bool(false),
            Token::None => ExprKind::None,
            Token::Name(name) => ExprKind::Name(name),
            Token::LBracket => return self.list_display(),
            Token::LParen => return self.paren_expr(),
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
            Token::StarStar | Token::Star | Token::Slash | Token::Percent | Token::At => {
                "this operator needs an operand on its left".to_string()
            }
            _ => "write an expression here".to_string(),
        };
        self.unexpected("an expression", Some(help))
    }

    /// list_display = "[" [ expression { "," expression } [ "," ] ] "]"
    pub(super) fn list_display(&mut self) -> PResult<Expr> {
        let open = self.open(Token::RBracket);
        let mut items = Vec::new();
        while !self.at(&Token::RBracket) {
            items.push(self.expression(0)?);
            if self.eat(&Token::Comma).is_none() {
                break;
            }
        }
        let close = self.close(open, Token::RBracket, "`,` or `]`", "list")?;
        Ok(Expr::new(ExprKind::List(items), open.to(close)))
    }

    /// paren_expr = "(" expression ")"
    pub(super) fn paren_expr(&mut self) -> PResult<Expr> {
        let open = self.open(Token::RParen);
        if self.at(&Token::RParen) {
            return self.unexpected(
                "an expression",
                Some("tsr has no tuples; put an expression inside `( )`".to_string()),
            );
        }
        let mut inner = self.expression(0)?;
        let close = self.close(open, Token::RParen, "`)`", "parenthesised")?;
        inner.span = open.to(close);
        Ok(inner)
    }
}
