//! HCL2 (Terraform) as conftest's `parser/hcl2` reads it: tmccombs/hcl2json
//! (`convert.Bytes` without `Simplify`), unmarshalled into `any`.
//!
//! hcl2json's shape, as made here (parsed with `hcl-edit`, whose spans give
//! the source text hcl2json copies):
//! - a body is an object: each block under its type, then one object level
//!   per label, the innermost key holding an array of the bodies of the
//!   blocks of that type and labels (`resource.aws_s3_bucket.b = [{...}]`);
//!   then the attributes (an attribute of a block's name replaces it);
//! - a literal is its value (numbers `float64`), a quoted string its text
//!   with `${` and `%{` written `$${` and `%%{`, an array or object of
//!   literals an array or object (a key's text as written when bare);
//! - a template is rebuilt as text: each interpolation `${SOURCE}` (a
//!   conditional as `%{if C}A%{else}B%{endif}`, a `for` directive as
//!   `%{for X in C}T%{endfor}`), a template of one interpolation being that
//!   expression's value;
//! - any other expression (a reference, a call, an operation, a `for`
//!   expression) is the string `${SOURCE}`, SOURCE as written in the file.
//!
//! Blocks with and without labels under one name are an error, as in
//! hcl2json; an attribute set twice in a body is a syntax error, as in HCL.

use hcl_edit::Span as _;
use hcl_edit::expr::{Expression, ObjectKey, UnaryOperator};
use hcl_edit::structure::{BlockLabel, Body, Structure};
use hcl_edit::template::{Directive, Element, Template};
use serde_json::{Map, Value};

pub fn parse(bytes: &[u8]) -> Result<Value, String> {
    let text = super::text(bytes);
    let body = hcl_edit::parser::parse_body(&text).map_err(|e| {
        format!(
            "convert to bytes: parse config: [{}]",
            one_line(&e.to_string())
        )
    })?;
    let c = Converter { src: &text };
    c.body(&body)
        .map(Value::Object)
        .map_err(|e| format!("convert to bytes: convert to HCL: convert file: convert body: {e}"))
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

struct Converter<'a> {
    src: &'a str,
}

impl Converter<'_> {
    fn body(&self, body: &Body) -> Result<Map<String, Value>, String> {
        let mut out = Map::new();
        for s in body.iter() {
            if let Structure::Block(block) = s {
                let labels: Vec<String> = block
                    .labels
                    .iter()
                    .map(|l| match l {
                        BlockLabel::Ident(i) => i.value().to_string(),
                        BlockLabel::String(s) => s.value().to_string(),
                    })
                    .collect();
                let value = self
                    .body(&block.body)
                    .map_err(|e| format!("convert block: convert body: {e}"))?;
                insert_block(&mut out, block.ident.value(), &labels, Value::Object(value))
                    .map_err(|e| format!("convert block: {e}"))?;
            }
        }
        for s in body.iter() {
            if let Structure::Attribute(attr) = s {
                let key = attr.key.value().to_string();
                let v = self
                    .expr(&attr.value)
                    .map_err(|e| format!("convert expression: {e}"))?;
                out.insert(key, v);
            }
        }
        Ok(out)
    }

    /// The source text of a parsed node.
    fn source(&self, span: Option<std::ops::Range<usize>>) -> String {
        span.and_then(|r| self.src.get(r))
            .unwrap_or_default()
            .to_string()
    }

    fn wrap(&self, e: &Expression) -> String {
        format!("${{{}}}", self.source(e.span()))
    }

    /// hcl2json's `ConvertExpression`.
    fn expr(&self, e: &Expression) -> Result<Value, String> {
        Ok(match e {
            Expression::Null(_) => Value::Null,
            Expression::Bool(b) => Value::Bool(*b.value()),
            Expression::Number(n) => number(n.value())?,
            Expression::String(s) => Value::String(escape_literal(s.value())),
            Expression::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|i| self.expr(i))
                    .collect::<Result<_, _>>()?,
            ),
            Expression::Object(obj) => {
                let mut out = Map::new();
                for (k, v) in obj.iter() {
                    out.insert(self.key(k)?, self.expr(v.expr())?);
                }
                Value::Object(out)
            }
            Expression::StringTemplate(t) => self.template_value(t)?,
            Expression::HeredocTemplate(h) => self.template_value(&h.template)?,
            Expression::UnaryOp(op) => match (op.operator.value(), &op.expr) {
                (UnaryOperator::Neg, Expression::Number(n)) => {
                    let f = n.value().as_f64().ok_or("not a number")?;
                    number_f64(-f)?
                }
                (UnaryOperator::Not, Expression::Bool(b)) => Value::Bool(!*b.value()),
                (_, Expression::Null(_) | Expression::Bool(_) | Expression::Number(_)) => {
                    return Err(format!(
                        "Invalid operand: Unsuitable value for unary operand in {}",
                        self.source(e.span())
                    ));
                }
                _ => Value::String(self.wrap(e)),
            },
            _ => Value::String(self.wrap(e)),
        })
    }

    /// A template as an attribute's value: a lone interpolation is its
    /// expression's value (hclsyntax's `TemplateWrapExpr`).
    fn template_value(&self, t: &Template) -> Result<Value, String> {
        if let [Element::Interpolation(i)] = t.iter().collect::<Vec<_>>().as_slice() {
            return self.expr(&i.expr);
        }
        Ok(Value::String(self.template(t)?))
    }

    /// hcl2json's `convertTemplate`.
    fn template(&self, t: &Template) -> Result<String, String> {
        let mut out = String::new();
        for el in t.iter() {
            match el {
                Element::Literal(s) => out.push_str(&escape_literal(s.value())),
                Element::Interpolation(i) => out.push_str(&self.string_part(&i.expr)?),
                Element::Directive(d) => match d.as_ref() {
                    Directive::If(d) => {
                        let t = self.template(&d.if_expr.template)?;
                        let f = match &d.else_expr {
                            Some(e) => self.template(&e.template)?,
                            None => String::new(),
                        };
                        out.push_str(&self.conditional(&d.if_expr.cond_expr, &t, &f));
                    }
                    Directive::For(d) => {
                        let f = &d.for_expr;
                        out.push_str("%{for ");
                        if let Some(k) = &f.key_var {
                            out.push_str(k.value());
                            out.push_str(", ");
                        }
                        out.push_str(f.value_var.value());
                        out.push_str(" in ");
                        out.push_str(&self.source(f.collection_expr.span()));
                        out.push('}');
                        out.push_str(&self.template(&f.template)?);
                        out.push_str("%{endfor}");
                    }
                },
            }
        }
        Ok(out)
    }

    fn conditional(&self, cond: &Expression, t: &str, f: &str) -> String {
        let mut out = format!("%{{if {}}}{t}", self.source(cond.span()));
        if !f.is_empty() {
            out.push_str("%{else}");
            out.push_str(f);
        }
        out.push_str("%{endif}");
        out
    }

    /// hcl2json's `convertStringPart`: an expression inside a template.
    fn string_part(&self, e: &Expression) -> Result<String, String> {
        Ok(match e {
            Expression::Null(_) => "null".to_string(),
            Expression::Bool(b) => b.value().to_string(),
            Expression::Number(n) => number_text(n.value()),
            Expression::String(s) => escape_literal(s.value()),
            Expression::StringTemplate(t) => self.template(t)?,
            Expression::HeredocTemplate(h) => self.template(&h.template)?,
            Expression::Conditional(c) => {
                let t = self.string_part(&c.true_expr)?;
                let f = self.string_part(&c.false_expr)?;
                self.conditional(&c.cond_expr, &t, &f)
            }
            _ => self.wrap(e),
        })
    }

    /// hcl2json's `convertKey`.
    fn key(&self, k: &ObjectKey) -> Result<String, String> {
        match k {
            ObjectKey::Ident(i) => Ok(i.value().to_string()),
            ObjectKey::Expression(e @ (Expression::Variable(_) | Expression::Traversal(_))) => {
                Ok(self.source(e.span()))
            }
            ObjectKey::Expression(e) => self.string_part(e),
        }
    }
}

/// hcl2json's `convertBlock`: under the type, one level per label, the
/// last holding the list of bodies.
fn insert_block(
    out: &mut Map<String, Value>,
    kind: &str,
    labels: &[String],
    value: Value,
) -> Result<(), String> {
    let mut key = kind.to_string();
    let mut at = out;
    for label in labels {
        let entry = at
            .entry(key.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        let Value::Object(next) = entry else {
            return Err(format!(
                "Unable to convert Block to JSON: {kind}.{}",
                labels.join(".")
            ));
        };
        at = next;
        key = label.clone();
    }
    match at.get_mut(&key) {
        Some(Value::Array(items)) => items.push(value),
        Some(_) => {
            return Err(format!(
                "invalid HCL detected for {key:?} block, cannot have blocks with and without labels"
            ));
        }
        None => {
            at.insert(key, Value::Array(vec![value]));
        }
    }
    Ok(())
}

/// hcl2json's `escapeLiteral`.
fn escape_literal(s: &str) -> String {
    s.replace("${", "$${").replace("%{", "%%{")
}

fn number(n: &hcl_edit::Number) -> Result<Value, String> {
    number_f64(n.as_f64().ok_or("not a number")?)
}

fn number_f64(f: f64) -> Result<Value, String> {
    if !f.is_finite() {
        return Err("json: unsupported value".to_string());
    }
    Ok(super::go_float(f))
}

/// A number converted to a string by cty (its shortest decimal text).
fn number_text(n: &hcl_edit::Number) -> String {
    match (n.as_i64(), n.as_u64(), n.as_f64()) {
        (Some(i), _, _) => i.to_string(),
        (None, Some(u), _) => u.to_string(),
        (_, _, Some(f)) if f.fract() == 0.0 && f.abs() < 1e21 => format!("{f:.0}"),
        (_, _, Some(f)) => f.to_string(),
        _ => n.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn hcl(s: &str) -> Value {
        parse(s.as_bytes()).unwrap_or_else(|e| panic!("{e}: {s}"))
    }

    /// conftest's `parser/hcl2/convert_test.go` cases.
    #[test]
    fn conftests_hcl2_tests() {
        let input = r#"
resource "aws_elastic_beanstalk_environment" "example" {
  name        = "test_environment"
  application = "testing"

  setting {
    namespace = "aws:autoscaling:asg"
    name      = "MinSize"
    value     = "1"
  }

  dynamic "setting" {
    for_each = data.consul_key_prefix.environment.var
    content {
      heredoc = <<-EOF
        This is a heredoc template.
        It references ${local.other.3}
        EOF
      simple = "${4 - 2}"
      cond = test3 > 2 ? 1: 0
      heredoc2 = <<EOF
        Another heredoc, that
        doesn't remove indentation
        ${local.other.3}
        %{if true ? false : true}"gotcha"\n%{else}4%{endif}
      EOF
      loop = "This has a for loop: %{for x in local.arr}x,%{endfor}"
      namespace = "aws:elasticbeanstalk:application:environment"
      name      = setting.key
      value     = setting.value
    }
  }
}"#;
        assert_eq!(
            hcl(input),
            json!({"resource": {"aws_elastic_beanstalk_environment": {"example": [{
                "name": "test_environment",
                "application": "testing",
                "setting": [{"name": "MinSize", "namespace": "aws:autoscaling:asg", "value": "1"}],
                "dynamic": {"setting": [{
                    "for_each": "${data.consul_key_prefix.environment.var}",
                    "content": [{
                        "cond": "${test3 > 2 ? 1: 0}",
                        "heredoc": "This is a heredoc template.\nIt references ${local.other.3}\n",
                        "heredoc2": "        Another heredoc, that\n        doesn't remove indentation\n        ${local.other.3}\n        %{if true ? false : true}\"gotcha\"\\n%{else}4%{endif}\n",
                        "loop": "This has a for loop: %{for x in local.arr}x,%{endfor}",
                        "name": "${setting.key}",
                        "namespace": "aws:elasticbeanstalk:application:environment",
                        "simple": "${4 - 2}",
                        "value": "${setting.value}"
                    }]
                }]}
            }]}}})
        );
        assert_eq!(
            hcl("provider \"aws\" {\n  version = \"=2.46.0\"\n  alias   = \"one\"\n}\n"),
            json!({"provider": {"aws": [{"alias": "one", "version": "=2.46.0"}]}})
        );
        assert_eq!(
            hcl(
                "provider \"aws\" {\n  version = \"=2.46.0\"\n  alias   = \"one\"\n}\nprovider \"aws\" {\n  version = \"=2.47.0\"\n  alias   = \"two\"\n}\n"
            ),
            json!({"provider": {"aws": [
                {"alias": "one", "version": "=2.46.0"},
                {"alias": "two", "version": "=2.47.0"}
            ]}})
        );
    }

    #[test]
    fn literals_collections_and_expressions() {
        let got = hcl(
            "n = 3\nf = 1.5\nneg = -2\nnot = !true\nb = false\nz = null\nlist = [1, \"a\", var.x]\nobj = {\n  k = 1\n  \"q\" = \"v\"\n  a.b = 2\n}\ncall = max(1, 2)\ntpl = \"pre-${var.env}-post\"\ncondtpl = \"${var.x ? \"a\" : \"b\"}\"\nmixcond = \"x-${var.x ? \"a\" : \"b\"}\"\nlit = \"${1}\"\nesc = \"a$${b}\"\nforx = [for s in var.l : upper(s)]\n",
        );
        assert_eq!(
            got,
            json!({
                "n": 3, "f": 1.5, "neg": -2, "not": false, "b": false, "z": null,
                "list": [1, "a", "${var.x}"],
                "obj": {"k": 1, "q": "v", "a.b": 2},
                "call": "${max(1, 2)}",
                "tpl": "pre-${var.env}-post",
                "condtpl": "${var.x ? \"a\" : \"b\"}",
                "mixcond": "x-%{if var.x}a%{else}b%{endif}",
                "lit": 1,
                "esc": "a$${b}",
                "forx": "${[for s in var.l : upper(s)]}"
            })
        );
    }

    #[test]
    fn blocks_nest_by_label() {
        let got = hcl(
            "locals {\n  a = 1\n}\nlocals {\n  b = 2\n}\nresource \"t\" \"x\" {}\nresource \"t\" \"y\" {}\nterraform {\n  required_providers {\n    aws = { source = \"hashicorp/aws\" }\n  }\n}\n",
        );
        assert_eq!(
            got,
            json!({
                "locals": [{"a": 1}, {"b": 2}],
                "resource": {"t": {"x": [{}], "y": [{}]}},
                "terraform": [{"required_providers": [{"aws": {"source": "hashicorp/aws"}}]}]
            })
        );
        assert!(
            parse(b"a {}\na \"x\" {}\n")
                .unwrap_err()
                .contains("Unable to convert Block")
        );
        assert!(
            parse(b"a \"x\" {}\na {}\n")
                .unwrap_err()
                .contains("cannot have blocks with and without labels")
        );
        let err = parse(b"a = 1\na = 2\n").unwrap_err();
        assert!(err.contains("redefined attribute"), "{err}");
        assert!(
            parse(b"a = \n")
                .unwrap_err()
                .starts_with("convert to bytes: parse config: ")
        );
    }
}
