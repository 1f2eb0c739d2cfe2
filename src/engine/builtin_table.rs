//! OPA 1.20's builtins (its capabilities file): name, arity and the flags
//! Gavel needs. Gavel's own readings use the arities (`with count as f`
//! needs a wrapper of the builtin's arity, see builtin_mocks.rs), and the
//! README's table of what Gavel has is generated from this list
//! (`gavel builtins`), so the two cannot drift.

/// One OPA builtin.
#[derive(Debug, Clone, Copy)]
pub struct OpaBuiltin {
    pub name: &'static str,
    /// Its declared arguments (for `print`, none: it takes any number).
    pub arity: u8,
    /// The infix operator that spells it (`plus` is `+`), if any.
    pub infix: Option<&'static str>,
    /// OPA records its answers in a decision's `nd_builtin_cache`.
    pub nondeterministic: bool,
    /// Kept only for Rego v0 (`any`, `re_match`, ...).
    pub deprecated: bool,
}

const fn b(name: &'static str, arity: u8) -> OpaBuiltin {
    OpaBuiltin {
        name,
        arity,
        infix: None,
        nondeterministic: false,
        deprecated: false,
    }
}

const fn infix(name: &'static str, arity: u8, op: &'static str) -> OpaBuiltin {
    OpaBuiltin {
        infix: Some(op),
        ..b(name, arity)
    }
}

const fn nd(name: &'static str, arity: u8) -> OpaBuiltin {
    OpaBuiltin {
        nondeterministic: true,
        ..b(name, arity)
    }
}

const fn old(name: &'static str, arity: u8) -> OpaBuiltin {
    OpaBuiltin {
        deprecated: true,
        ..b(name, arity)
    }
}

/// Every builtin of OPA 1.20, by name.
pub const OPA_BUILTINS: &[OpaBuiltin] = &[
    b("abs", 1),
    old("all", 1),
    infix("and", 2, "&"),
    old("any", 1),
    b("array.concat", 2),
    b("array.flatten", 1),
    b("array.reverse", 1),
    b("array.slice", 3),
    infix("assign", 2, ":="),
    b("base64.decode", 1),
    b("base64.encode", 1),
    b("base64.is_valid", 1),
    b("base64url.decode", 1),
    b("base64url.encode", 1),
    b("base64url.encode_no_pad", 1),
    b("bits.and", 2),
    b("bits.lsh", 2),
    b("bits.negate", 1),
    b("bits.or", 2),
    b("bits.rsh", 2),
    b("bits.xor", 2),
    old("cast_array", 1),
    old("cast_boolean", 1),
    old("cast_null", 1),
    old("cast_object", 1),
    old("cast_set", 1),
    old("cast_string", 1),
    b("ceil", 1),
    b("concat", 2),
    b("contains", 2),
    b("count", 1),
    b("crypto.hmac.equal", 2),
    b("crypto.hmac.md5", 2),
    b("crypto.hmac.sha1", 2),
    b("crypto.hmac.sha256", 2),
    b("crypto.hmac.sha512", 2),
    b("crypto.md5", 1),
    b("crypto.parse_private_keys", 1),
    b("crypto.sha1", 1),
    b("crypto.sha256", 1),
    b("crypto.x509.parse_and_verify_certificates", 1),
    b("crypto.x509.parse_and_verify_certificates_with_options", 2),
    b("crypto.x509.parse_certificate_request", 1),
    b("crypto.x509.parse_certificates", 1),
    b("crypto.x509.parse_keypair", 2),
    b("crypto.x509.parse_rsa_private_key", 1),
    infix("div", 2, "/"),
    b("endswith", 2),
    infix("eq", 2, "="),
    infix("equal", 2, "=="),
    b("floor", 1),
    b("format_int", 2),
    b("glob.match", 3),
    b("glob.quote_meta", 1),
    b("graph.reachable", 2),
    b("graph.reachable_paths", 2),
    b("graphql.is_valid", 2),
    b("graphql.parse", 2),
    b("graphql.parse_and_verify", 2),
    b("graphql.parse_query", 1),
    b("graphql.parse_schema", 1),
    b("graphql.schema_is_valid", 1),
    infix("gt", 2, ">"),
    infix("gte", 2, ">="),
    b("hex.decode", 1),
    b("hex.encode", 1),
    nd("http.send", 1),
    b("indexof", 2),
    b("indexof_n", 2),
    infix("internal.member_2", 2, "in"),
    infix("internal.member_3", 3, "in"),
    b("internal.print", 1),
    b("internal.template_string", 1),
    b("internal.test_case", 1),
    b("intersection", 1),
    b("io.jwt.decode", 1),
    nd("io.jwt.decode_verify", 2),
    nd("io.jwt.encode_sign", 3),
    nd("io.jwt.encode_sign_raw", 3),
    b("io.jwt.verify_eddsa", 2),
    b("io.jwt.verify_es256", 2),
    b("io.jwt.verify_es384", 2),
    b("io.jwt.verify_es512", 2),
    b("io.jwt.verify_hs256", 2),
    b("io.jwt.verify_hs384", 2),
    b("io.jwt.verify_hs512", 2),
    b("io.jwt.verify_ps256", 2),
    b("io.jwt.verify_ps384", 2),
    b("io.jwt.verify_ps512", 2),
    b("io.jwt.verify_rs256", 2),
    b("io.jwt.verify_rs384", 2),
    b("io.jwt.verify_rs512", 2),
    b("is_array", 1),
    b("is_boolean", 1),
    b("is_null", 1),
    b("is_number", 1),
    b("is_object", 1),
    b("is_set", 1),
    b("is_string", 1),
    b("json.filter", 2),
    b("json.is_valid", 1),
    b("json.marshal", 1),
    b("json.marshal_with_options", 2),
    b("json.match_schema", 2),
    b("json.patch", 2),
    b("json.remove", 2),
    b("json.unmarshal", 1),
    b("json.verify_schema", 1),
    b("lower", 1),
    infix("lt", 2, "<"),
    infix("lte", 2, "<="),
    b("max", 1),
    b("min", 1),
    infix("minus", 2, "-"),
    infix("mul", 2, "*"),
    infix("neq", 2, "!="),
    b("net.cidr_contains", 2),
    b("net.cidr_contains_matches", 2),
    b("net.cidr_expand", 1),
    b("net.cidr_intersects", 2),
    b("net.cidr_is_valid", 1),
    b("net.cidr_merge", 1),
    old("net.cidr_overlap", 2),
    nd("net.lookup_ip_addr", 1),
    b("numbers.range", 2),
    b("numbers.range_step", 3),
    b("object.filter", 2),
    b("object.get", 3),
    b("object.keys", 1),
    b("object.remove", 2),
    b("object.subset", 2),
    b("object.union", 2),
    b("object.union_n", 1),
    nd("opa.runtime", 0),
    infix("or", 2, "|"),
    infix("plus", 2, "+"),
    b("print", 0),
    b("product", 1),
    b("providers.aws.sign_req", 3),
    nd("rand.intn", 2),
    old("re_match", 2),
    b("regex.find_all_string_submatch_n", 3),
    b("regex.find_n", 3),
    b("regex.globs_match", 2),
    b("regex.is_valid", 1),
    b("regex.match", 2),
    b("regex.replace", 3),
    b("regex.split", 2),
    b("regex.template_match", 4),
    b("rego.metadata.chain", 0),
    b("rego.metadata.rule", 0),
    b("rego.parse_module", 2),
    infix("rem", 2, "%"),
    b("replace", 3),
    b("round", 1),
    b("semver.compare", 2),
    b("semver.is_valid", 1),
    old("set_diff", 2),
    b("sort", 1),
    b("split", 2),
    b("sprintf", 2),
    b("startswith", 2),
    b("strings.any_prefix_match", 2),
    b("strings.any_suffix_match", 2),
    b("strings.count", 2),
    b("strings.render_template", 2),
    b("strings.replace_n", 2),
    b("strings.reverse", 1),
    b("strings.split_n", 3),
    b("substring", 3),
    b("sum", 1),
    b("time.add_date", 4),
    b("time.clock", 1),
    b("time.date", 1),
    b("time.diff", 2),
    b("time.format", 1),
    nd("time.now_ns", 0),
    b("time.parse_duration_ns", 1),
    b("time.parse_ns", 2),
    b("time.parse_rfc3339_ns", 1),
    b("time.weekday", 1),
    b("to_number", 1),
    b("trace", 1),
    b("trim", 2),
    b("trim_left", 2),
    b("trim_prefix", 2),
    b("trim_right", 2),
    b("trim_space", 1),
    b("trim_suffix", 2),
    b("type_name", 1),
    b("union", 1),
    b("units.parse", 1),
    b("units.parse_bytes", 1),
    b("upper", 1),
    b("uri.is_valid", 1),
    b("uri.parse", 1),
    b("urlquery.decode", 1),
    b("urlquery.decode_object", 1),
    b("urlquery.encode", 1),
    b("urlquery.encode_object", 1),
    b("uuid.parse", 1),
    nd("uuid.rfc4122", 1),
    b("walk", 1),
    b("yaml.is_valid", 1),
    b("yaml.marshal", 1),
    b("yaml.unmarshal", 1),
];

/// Where Gavel's answer for a builtin comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Support {
    /// regorus's own implementation.
    Regorus,
    /// Gavel's (an extension, or a reading of the policy before it runs).
    Gavel,
    /// An operator of the language (`plus` is `+`), evaluated by regorus.
    Operator,
    /// Not available; calling it is an error naming it. The reason why.
    Missing(&'static str),
}

/// Replaced by their constants before evaluation (rego_metadata.rs).
const READ_AT_LOAD: &[&str] = &["rego.metadata.chain", "rego.metadata.rule"];

/// Why Gavel lacks the builtins it lacks.
const LACKS: &[(&str, &str)] = &[
    (
        "opa.runtime",
        "describes a running OPA server (config, environment); Gavel is not one",
    ),
    (
        "trace",
        "OPA's explanation tracing; Gavel shows the lines that ran instead",
    ),
    ("internal.print", "OPA-internal; `print` works"),
    (
        "internal.member_2",
        "OPA-internal spelling of `in`, which works",
    ),
    (
        "internal.member_3",
        "OPA-internal spelling of `in`, which works",
    ),
    (
        "internal.template_string",
        "OPA-internal (template strings are not in Gavel's grammar)",
    ),
    (
        "internal.test_case",
        "OPA-internal: `opa test` injects it into partial-object test rules; Gavel's tester judges their sub-results itself",
    ),
    (
        "rego.parse_module",
        "returns OPA's own AST as JSON (its node layout, locations and annotations), which Gavel's parser does not model",
    ),
];

/// Where Gavel's answer for `b` comes from.
pub fn support(b: &OpaBuiltin) -> Support {
    if super::extra_builtins::gavel_arity(b.name).is_some() || READ_AT_LOAD.contains(&b.name) {
        Support::Gavel
    } else if b.infix.is_some() {
        Support::Operator
    } else if b.name == "print" {
        // regorus's own, handled apart from its builtins map.
        Support::Regorus
    } else if regorus::unstable::BUILTINS.contains_key(b.name) {
        Support::Regorus
    } else {
        Support::Missing(
            LACKS
                .iter()
                .find(|(n, _)| *n == b.name)
                .map_or("not implemented yet", |(_, why)| why),
        )
    }
}

/// The README's table: every OPA builtin and where Gavel's answer comes
/// from (`gavel builtins --format md`).
pub fn markdown_table() -> String {
    let mut out = String::from("| Builtin | Gavel | Note |\n|---|---|---|\n");
    for b in OPA_BUILTINS {
        let (status, note) = match support(b) {
            Support::Regorus => ("yes", String::new()),
            Support::Gavel => ("yes (Gavel)", String::new()),
            Support::Operator => ("yes", format!("operator `{}`", b.infix.unwrap_or(""))),
            Support::Missing(why) => ("**no**", why.to_string()),
        };
        let mut note = note;
        if b.nondeterministic {
            let replay = "recorded in `nd_builtin_cache`; replay answers from the record";
            note = if note.is_empty() {
                replay.into()
            } else {
                format!("{note}; {replay}")
            };
        }
        if b.name == "http.send" {
            note =
                "never called live (stub it with `with`); replay answers from `nd_builtin_cache`"
                    .into();
        }
        if b.deprecated {
            note = if note.is_empty() {
                "Rego v0 only".into()
            } else {
                format!("Rego v0 only; {note}")
            };
        }
        out.push_str(&format!("| `{}` | {status} | {note} |\n", b.name));
    }
    // Builtins of hosts other than OPA.
    out.push_str(&format!(
        "\nBeyond OPA's: conftest's {} (parsers: {}); any other host's builtins \
         declared in a bundle's `capabilities.json` (or `--capabilities FILE`), which tests \
         stub with `with`.\n",
        super::conftest_builtins::BUILTINS
            .iter()
            .filter(|(n, _)| !n.starts_with("__"))
            .map(|(n, _)| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", "),
        super::conftest::PARSERS.join(", ")
    ));
    out
}

/// The OPA builtin called `name`.
pub fn opa_builtin(name: &str) -> Option<&'static OpaBuiltin> {
    OPA_BUILTINS
        .binary_search_by(|b| b.name.cmp(name))
        .ok()
        .and_then(|i| OPA_BUILTINS.get(i))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_and_found() {
        assert!(OPA_BUILTINS.windows(2).all(|w| w[0].name < w[1].name));
        assert_eq!(opa_builtin("count").map(|b| b.arity), Some(1));
        assert_eq!(opa_builtin("object.union_n").map(|b| b.arity), Some(1));
        assert!(opa_builtin("http.send").is_some_and(|b| b.nondeterministic));
        assert!(opa_builtin("no.such").is_none());
    }
}
