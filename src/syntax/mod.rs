//! The syntax layer: source spans, the lexer, the parser, the AST, and the one
//! `Diagnostic` type every layer reports with. Imports nothing else of tsr.

pub mod ast;
pub mod diagnostic;
pub mod lexer;
pub mod parser;
pub mod span;
