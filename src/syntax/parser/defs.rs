//! Definitions and blocks with a header: `def` (with `*args`, annotations and the
//! `@no_grad()` decorator), `class`, `with`.

use super::*;

impl Parser<'_> {
    /// def_stmt = "def" NAME parameters [ "->" expression ] ":" block
    pub(super) fn def_stmt(&mut self, no_grad: bool, decorators: Vec<Expr>) -> PResult<Stmt> {
        let keyword = self.bump();
        let name = self.expect_name("a function name after `def`", None)?;
        let params = self.parameters()?;
        if self.eat(&Token::Arrow).is_some() {
            // A return annotation is read and ignored.
            self.expression(0)?;
        }
        self.header_colon(keyword)?;
        let in_def = std::mem::replace(&mut self.in_def, true);
        let in_loop = std::mem::replace(&mut self.in_loop, false);
        let body = self.block(keyword);
        self.in_def = in_def;
        self.in_loop = in_loop;
        let span = keyword.to(Span::new(self.last_end, self.last_end));
        Ok(Stmt {
            kind: StmtKind::Def {
                name,
                params,
                body: Rc::new(body?),
                no_grad,
                decorators,
            },
            span,
        })
    }

    /// decorated = { "@" expression NEWLINE } def_stmt: `f = d1(d2(f))`, as Python
    /// applies them; `no_grad()` (or `torch.no_grad()`) runs the body without a graph.
    pub(super) fn decorated(&mut self) -> PResult<Stmt> {
        let mut no_grad = false;
        let mut decorators = Vec::new();
        while self.at(&Token::At) {
            self.bump();
            let deco = self.expression(0)?;
            if is_no_grad(&deco) {
                no_grad = true;
            } else {
                decorators.push(deco);
            }
            self.eat(&Token::Newline);
        }
        if !self.at(&Token::Def) {
            return self.unexpected(
                "`def` after the decorator",
                Some("tsr decorates functions and methods, not classes".to_string()),
            );
        }
        self.def_stmt(no_grad, decorators)
    }

    /// parameters = "(" [ param { "," param } [ "," ] ] ")"
    pub(super) fn parameters(&mut self) -> PResult<Vec<Param>> {
        if !self.at(&Token::LParen) {
            return self.unexpected(
                "`(` after the function name",
                Some("write `def name(a, b):`".to_string()),
            );
        }
        let open = self.open(Token::RParen);
        let params = self.param_list(&Token::RParen)?;
        self.close(open, Token::RParen, "`,` or `)`", "parameter list")?;
        Ok(params)
    }

    /// param_list = [ ( param | "*" ) { "," ( param | "*" ) } [ "," ] ], up to `end`
    /// (`)` of a `def`, `:` of a `lambda`). The parameters after `*args` or a bare `*`
    /// are keyword-only.
    pub(super) fn param_list(&mut self, end: &Token) -> PResult<Vec<Param>> {
        let mut params: Vec<Param> = Vec::new();
        // The `*args` or bare `*` seen, if any.
        let mut star: Option<Span> = None;
        // A bare `*` not yet followed by a keyword-only parameter.
        let mut bare: Option<Span> = None;
        while !self.at(end) {
            let bare_here = self.at(&Token::Star)
                && (matches!(self.nth(1), Token::Comma) || self.nth(1) == end);
            if bare_here {
                let span = self.bump();
                self.no_second_star(star, span);
                star = Some(span);
                bare = Some(span);
            } else {
                let mut param = self.param()?;
                match param.kind {
                    ParamKind::Plain if star.is_some() => param.kind = ParamKind::KwOnly,
                    ParamKind::Star => {
                        self.no_second_star(star, param.name.span);
                        star = Some(param.name.span);
                    }
                    _ => {}
                }
                if param.kind == ParamKind::KwOnly {
                    bare = None;
                }
                self.check_param(&params, &param);
                params.push(param);
            }
            if self.eat(&Token::Comma).is_none() {
                break;
            }
        }
        if let Some(span) = bare {
            self.error(
                Diagnostic::error("syntax::param", "a bare `*` must be followed by a keyword parameter")
                    .primary(span, "nothing after it is keyword-only")
                    .help("name the keyword-only parameters after it (`def f(x, *, lr=0.1):`), or remove the `*`"),
            );
        }
        Ok(params)
    }

    fn no_second_star(&mut self, earlier: Option<Span>, span: Span) {
        if let Some(earlier) = earlier {
            self.error(
                Diagnostic::error("syntax::param", "a second `*` in the parameter list")
                    .primary(span, "a second `*`")
                    .label(earlier, "the first")
                    .help("one `*args` (or bare `*`) ends the positional parameters; keep one"),
            );
        }
    }

    /// A parameter's place in the list: unique, positional defaults last, `**kwargs` last.
    fn check_param(&mut self, params: &[Param], param: &Param) {
        if let Some(earlier) = params.iter().find(|p| p.name.node == param.name.node) {
            let earlier = earlier.name.span;
            self.error(
                Diagnostic::error(
                    "syntax::param",
                    format!("duplicate parameter `{}`", param.name.node),
                )
                .primary(param.name.span, "defined again here")
                .label(earlier, "first defined here")
                .help("give each parameter a different name"),
            );
        } else if let Some(kw) = params.iter().find(|p| p.kind == ParamKind::StarStar) {
            let kw = kw.name.span;
            self.error(
                Diagnostic::error("syntax::param", "parameter after `**kwargs`")
                    .primary(param.name.span, "this parameter follows `**kwargs`")
                    .label(kw, "`**kwargs` collects every remaining keyword argument")
                    .help("put `**kwargs` last"),
            );
        } else if param.default.is_none() && param.kind == ParamKind::Plain {
            if let Some(with_default) = params.iter().find(|p| p.default.is_some()) {
                let earlier = with_default.name.span;
                let earlier_name = with_default.name.node.clone();
                self.error(
                    Diagnostic::error(
                        "syntax::param",
                        "parameter without a default follows a parameter with a default",
                    )
                    .primary(param.name.span, "this parameter has no default")
                    .label(earlier, "this one has a default")
                    .help(format!(
                        "give `{}` a default too, or move it before `{earlier_name}`",
                        param.name.node
                    )),
                );
            }
        }
    }

    /// param = [ "*" | "**" ] NAME [ ":" expression ] [ "=" expression ]
    pub(super) fn param(&mut self) -> PResult<Param> {
        let kind = if self.eat(&Token::StarStar).is_some() {
            ParamKind::StarStar
        } else if self.eat(&Token::Star).is_some() {
            ParamKind::Star
        } else {
            ParamKind::Plain
        };
        let name = self.expect_name("a parameter name", None)?;
        if self.at(&Token::Colon) && !self.lambda_params {
            // A type annotation is read and ignored.
            self.bump();
            self.expression(1)?;
        }
        let default = if kind == ParamKind::Plain && self.eat(&Token::Assign).is_some() {
            Some(self.expression(0)?)
        } else {
            None
        };
        Ok(Param {
            name,
            default,
            kind,
        })
    }

    /// class_stmt = "class" NAME [ "(" [ expression ] ")" ] ":" block
    pub(super) fn class_stmt(&mut self) -> PResult<Stmt> {
        let keyword = self.bump();
        let name = self.expect_name("a class name after `class`", None)?;
        let mut base = None;
        if self.at(&Token::LParen) {
            let open = self.open(Token::RParen);
            if !self.at(&Token::RParen) {
                base = Some(self.expression(0)?);
                if self.at(&Token::Comma) {
                    let span = self.span();
                    self.unsupported(
                        span,
                        "a class with several base classes",
                        "derive from one class; keep the other as an attribute",
                    );
                    return Err(Fail);
                }
            }
            self.close(open, Token::RParen, "`)`", "base class list")?;
        }
        self.header_colon(keyword)?;
        let in_def = std::mem::replace(&mut self.in_def, false);
        let in_loop = std::mem::replace(&mut self.in_loop, false);
        let body = self.block(keyword);
        self.in_def = in_def;
        self.in_loop = in_loop;
        let span = keyword.to(Span::new(self.last_end, self.last_end));
        Ok(Stmt {
            kind: StmtKind::Class {
                name,
                base,
                body: Rc::new(body?),
            },
            span,
        })
    }

    /// with_stmt = "with" with_item { "," with_item } ":" block
    /// with_item = expression [ "as" target ]
    pub(super) fn with_stmt(&mut self) -> PResult<Stmt> {
        let keyword = self.bump();
        let mut items = Vec::new();
        loop {
            let ctx = self.expression(0)?;
            let target = if let Some(as_span) = self.eat(&Token::As) {
                let e = self.expression(CMP_BP.0 + 1)?;
                match self.target(e, as_span) {
                    Some(t) => Some(t),
                    None => return Err(Fail),
                }
            } else {
                None
            };
            items.push((ctx, target));
            if self.eat(&Token::Comma).is_none() {
                break;
            }
        }
        self.header_colon(keyword)?;
        let body = self.block(keyword)?;
        let span = keyword.to(Span::new(self.last_end, self.last_end));
        Ok(Stmt {
            kind: StmtKind::With { items, body },
            span,
        })
    }
}

/// `no_grad()`, `torch.no_grad()` (or without the call): the decorator that runs a
/// function's body without building a graph.
fn is_no_grad(deco: &Expr) -> bool {
    let name = match &deco.kind {
        ExprKind::Call { callee, args } if args.is_empty() => callee.as_ref(),
        _ => deco,
    };
    let is_torch = |e: &Expr| matches!(&e.kind, ExprKind::Name(m) if m == "torch");
    match &name.kind {
        ExprKind::Name(n) => n == "no_grad",
        ExprKind::Attr { object, name } => name.node == "no_grad" && is_torch(object),
        // `torch.no_grad()` parses as a method call.
        ExprKind::Method {
            receiver,
            name,
            args,
        } => name.node == "no_grad" && args.is_empty() && is_torch(receiver),
        _ => false,
    }
}
