#!/usr/bin/env python3
"""Run Rego through the reference OPA engine (OPA's own Go library).

Developer tool: compares Gavel's verdicts with OPA's. No project test depends
on it. Fetch the engine first with scripts/opa_reference_setup.sh.

  opa_reference.py test DIR... [--run REGEX] [--json] [--v0]
      every test_* rule in every package, with `opa test` semantics (see
      below), plus every case in DIR/cases/*.json
  opa_reference.py eval DIR... --query data.pkg.rule [--input FILE] [--v0]

Bundle semantics: every *.rego file is a module; data.json / data.yaml files
are merged under their directory path relative to DIR (cases/ is not data).

How close this is to `opa test` (OPA's tester/runner.go), given what the
Python binding offers:

- A test is every rule whose head's first `test_` / `todo_test_` element
  names it (column-0 rule heads, found with a small Rego tokenizer that skips
  strings, raw strings and comments). todo_test_ is SKIP.
- Duplicate names in one package are run separately and reported `test_x`,
  `test_x#01`, ... (OPA's rewriteDuplicateTestNames): for each definition the
  engine loads copies of the modules in which every other definition of that
  name is renamed in place (line numbers kept). OPA numbers duplicates in
  module-map order; this script in sorted-path order.
- Pass: defined and exactly `true`. Partial-object tests (`test_x[k] if`):
  fail when undefined or when any value (recursively) is not `true`; an empty
  object passes, as in OPA. OPA also fails a sub-case whose body fails *after*
  the key is bound (it injects internal.test_case); the binding cannot see
  those, so such verdicts carry the note "partial-object".
- Errors: OPA's tester runs builtins non-strict (a builtin error makes the
  expression undefined). The binding is strict and cannot be switched: a
  builtin error (eval_builtin_error) aborts the query. Such tests get result
  "FAIL" with `strict: true` ("binding-strict"): OPA would most likely report
  FAIL, but could PASS (e.g. `not f(x)` around the failing call). Every other
  evaluation error (conflicts, type errors at eval) is ERROR; a compile error
  of the whole bundle is reported as a LOAD-ERROR line (opa test: exit 1).
- Rego v0 (--v0): the binding only parses v1. v0 modules are converted
  syntactically (token level, same lines): `if` before every rule body,
  `p[x] {` -> `p contains x if {`, deprecated `re_match` -> `regex.match`.
  Modules the conversion cannot make loadable are reported as LOAD-ERROR.
- print() output is captured per test.
"""

import argparse
import json
import os
import re
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, ".opa-ref"))

try:
    from opa_bindings import OpaEngine, OpaError, OpaUndefinedError
except ImportError:
    sys.exit("reference OPA engine missing: run scripts/opa_reference_setup.sh")

ENTRYPOINT_RE = re.compile(r"^#\s*entrypoint:\s*true\s*$")
RULE_NAME_RE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)")
KEYWORDS_V1 = {"if", "contains", "in", "every"}

# ---------------------------------------------------------------------------
# A small Rego tokenizer: enough to find rule heads and to convert v0 syntax.
# ---------------------------------------------------------------------------

TOKEN_RE = re.compile(
    r"""
    (?P<nl>\n)
  | (?P<ws>[ \t\r]+)
  | (?P<comment>\#[^\n]*)
  | (?P<string>"(?:[^"\\\n]|\\.)*")
  | (?P<raw>`[^`]*`)
  | (?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>:=|==|!=|<=|>=|[{}\[\]().,;:=<>|&+\-*/%!])
    """,
    re.X,
)


class Tok:
    __slots__ = ("kind", "text", "start", "line", "depth", "bol")

    def __init__(self, kind, text, start, line, depth, bol):
        self.kind, self.text, self.start = kind, text, start
        self.line, self.depth, self.bol = line, depth, bol

    def __repr__(self):
        return f"{self.kind}:{self.text!r}@{self.line}/{self.depth}"


def tokenize(text):
    """Significant tokens with line, bracket depth before the token, and
    whether the token is the first on its line at column 0 (bol)."""
    out, pos, line, depth = [], 0, 1, 0
    at_col0 = True
    while pos < len(text):
        m = TOKEN_RE.match(text, pos)
        if not m:
            raise ValueError(f"line {line}: cannot tokenize {text[pos:pos+20]!r}")
        kind = m.lastgroup
        s = m.group()
        if kind == "nl":
            line += 1
            at_col0 = True
        elif kind in ("ws", "comment"):
            at_col0 = False if kind == "ws" else at_col0
        else:
            d = depth
            if kind == "op" and s in "([{":
                depth += 1
            elif kind == "op" and s in ")]}":
                depth -= 1
                d = depth
            out.append(Tok(kind, s, m.start(), line, d, at_col0))
            line += s.count("\n")
            at_col0 = False
        pos = m.end()
    return out


def statements(toks):
    """Split top-level tokens into statements: a statement starts at a depth-0
    token at column 0 that is not `else`/`{` (continuations)."""
    stmts, cur = [], []
    for t in toks:
        if (
            t.depth == 0
            and t.bol
            and cur
            and t.kind == "ident"
            and t.text != "else"
        ):
            stmts.append(cur)
            cur = []
        cur.append(t)
    if cur:
        stmts.append(cur)
    return stmts


def ground_head(stmt):
    """The head ref of a rule statement as [(text_value, tok)], and the index
    of the first token after it."""
    i, ref = 0, []
    if stmt[0].kind == "ident" and stmt[0].text == "default":
        i = 1
    if i >= len(stmt) or stmt[i].kind != "ident":
        return [], i
    ref.append((stmt[i].text, stmt[i]))
    i += 1
    while i < len(stmt):
        t = stmt[i]
        if t.text == "." and i + 1 < len(stmt) and stmt[i + 1].kind == "ident":
            ref.append((stmt[i + 1].text, stmt[i + 1]))
            i += 2
        elif (
            t.text == "["
            and i + 2 < len(stmt)
            and stmt[i + 1].kind == "string"
            and stmt[i + 2].text == "]"
        ):
            ref.append((json.loads(stmt[i + 1].text), stmt[i + 1]))
            i += 3
        else:
            break
    return ref, i


def parse_package(toks):
    """(dotted path for queries, display path 'data.x...')."""
    for st in statements(toks):
        if st[0].kind == "ident" and st[0].text == "package":
            parts = []
            for t in st[1:]:
                if t.kind == "ident":
                    parts.append(t.text)
                elif t.kind == "string":
                    parts.append(json.loads(t.text))
            return parts
    return None


def ref_string(parts):
    """OPA's ref string for data + parts: data.a.b["c-d"]."""
    s = "data"
    for p in parts:
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", p) and p not in KEYWORDS_V1:
            s += "." + p
        else:
            s += "[" + json.dumps(p) + "]"
    return s


def find_tests(text):
    """Test rule definitions of a module, in file order."""
    toks = tokenize(text)
    pkg = parse_package(toks)
    if pkg is None:
        return None, []
    tests = []
    for st in statements(toks):
        if st[0].kind != "ident" or st[0].text in ("package", "import"):
            continue
        ref, after = ground_head(st)
        for n, (name, tok) in enumerate(ref):
            if name.startswith("test_") or name.startswith("todo_test_"):
                rest = st[after:]
                is_func = bool(rest) and rest[0].text == "(" and n == len(ref) - 1
                # partial object: a non-ground [ after the name, no `contains`
                dyn = bool(rest) and rest[0].text == "[" and n == len(ref) - 1
                if n < len(ref) - 1:
                    dyn = True  # e.g. test_x["a"] := ...: object below the test
                kind = "complete"
                if dyn:
                    kind = "partial_object"
                if rest and rest[0].kind == "ident" and rest[0].text == "contains":
                    kind = "partial_set"
                tests.append(
                    {
                        "package": pkg,
                        "name": name,
                        "ref": [r[0] for r in ref[: n + 1]],
                        "row": st[0].line,
                        "name_tok": tok,
                        "kind": kind,
                        "func": is_func,
                    }
                )
                break
    return pkg, tests


# ---------------------------------------------------------------------------
# Rego v0 -> v1 (syntax only, same lines)
# ---------------------------------------------------------------------------

DEPRECATED_RENAMES = {"re_match": "regex.match"}


def v0_to_v1(text):
    toks = tokenize(text)
    edits = []  # (offset, delete_len, insert)
    for st in statements(toks):
        if st[0].kind != "ident" or st[0].text in ("package", "import"):
            continue
        # partial set: name[term] followed by a body or nothing, no value
        ref, after = ground_head(st)
        last = ref[-1][1] if ref else None
        if (
            len(ref) > 1
            and last.kind == "string"
            and (after == len(st) or (st[after].text == "{" and st[after].depth == 0))
        ):
            # v0 `p["k"] { ... }` is a partial set with a constant element
            open_t = st[[i for i, x in enumerate(st) if x is last][0] - 1]
            close_t = st[[i for i, x in enumerate(st) if x is last][0] + 1]
            edits.append((open_t.start, 1, " contains "))
            edits.append((close_t.start, 1, ""))
        elif ref and after < len(st) and st[after].text == "[":
            j, depth = after, 0
            while j < len(st):
                if st[j].text in "([{":
                    depth += 1
                elif st[j].text in ")]}":
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            nxt = st[j + 1] if j + 1 < len(st) else None
            if nxt is None or (nxt.text == "{" and nxt.depth == 0):
                open_t, close_t = st[after], st[j]
                edits.append((open_t.start, 1, " contains "))
                edits.append((close_t.start, 1, ""))
        # `if` before each body at depth 0
        prev = None
        for t in st:
            if t.depth == 0 and t.text == "{" and prev is not None:
                if prev.text not in ("=", ":=", "if", ",", "(", "[", "|"):
                    edits.append((t.start, 0, "if "))
            prev = t
        for t in st:
            if t.kind == "ident" and t.text in DEPRECATED_RENAMES:
                edits.append((t.start, len(t.text), DEPRECATED_RENAMES[t.text]))
    out = text
    for off, n, ins in sorted(edits, key=lambda e: e[0], reverse=True):
        out = out[:off] + ins + out[off + n :]
    return out


def rename_definition(text, tok, new):
    return text[: tok.start] + new + text[tok.start + len(tok.text) :]


# ---------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------


def load_yaml(path):
    import yaml

    with open(path) as f:
        return yaml.safe_load(f)


def walk_bundle(root):
    """Yield (relative path, absolute path) for every file, sorted."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            full = os.path.join(dirpath, name)
            out.append((os.path.relpath(full, root), full))
    return out


class Bundle:
    def __init__(self, dirs, v0=False):
        self.modules = []  # (path, text as loaded into the engine)
        self.data = []  # (value, dotted path)
        self.load_errors = []
        for root in dirs:
            for rel, full in walk_bundle(root):
                base = os.path.basename(rel)
                parent = os.path.dirname(rel)
                if rel.endswith(".rego"):
                    with open(full) as f:
                        text = f.read()
                    if v0:
                        try:
                            text = v0_to_v1(text)
                        except ValueError as e:
                            self.load_errors.append(f"{full}: v0 conversion: {e}")
                            continue
                    self.modules.append((full, text))
                elif base in ("data.json", "data.yaml", "data.yml"):
                    value = (
                        json.load(open(full))
                        if base.endswith(".json")
                        else load_yaml(full)
                    )
                    path = ".".join(p for p in parent.split(os.sep) if p)
                    self.data.append((value, path))

    def engine(self, replace=None):
        """An engine with every module (some replaced by other text)."""
        replace = replace or {}
        engine = OpaEngine()
        engine.print_handler = lambda message, location: None
        for path, text in self.modules:
            engine.add_policy(path, replace.get(path, text))
        for value, path in self.data:
            engine.add_data(value, path)
        return engine


def discover_tests(bundle):
    tests = []
    for path, text in bundle.modules:
        try:
            pkg, found = find_tests(text)
        except ValueError as e:
            bundle.load_errors.append(f"{path}: {e}")
            continue
        for t in found:
            t["file"] = path
            tests.append(t)
    # duplicate numbering per package + ref, in module (path) order
    count = {}
    for t in tests:
        if not t["name"].startswith("test_"):
            t["dup"] = 0
            continue
        key = (tuple(t["package"]), tuple(t["ref"]))
        t["dup"] = count.get(key, 0)
        count[key] = t["dup"] + 1
    for t in tests:
        key = (tuple(t["package"]), tuple(t["ref"]))
        t["ndefs"] = count.get(key, 1)
    return tests


def all_true(value):
    """Partial-object verdict: every leaf value true (nested objects recurse)."""
    if not isinstance(value, dict):
        return False
    for v in value.values():
        if isinstance(v, dict):
            if not all_true(v):
                return False
        elif v is not True:
            return False
    return True


def evaluate(engine, query_ref, kind):
    """-> dict(result, value|error, strict?, output)."""
    r = {}
    try:
        rs = engine.eval_query(f"__gavel_v = {query_ref}")
        prints = [m for m, _ in engine.last_prints]
        if not rs:
            r["result"], r["value"] = "FAIL", "<undefined>"
        else:
            value = rs[0].get("__gavel_v")
            r["value"] = value
            if kind == "partial_object":
                r["result"] = "PASS" if all_true(value) else "FAIL"
                r["note"] = "partial-object"
            else:
                r["result"] = "PASS" if value is True else "FAIL"
    except OpaError as e:
        prints = [m for m, _ in engine.last_prints]
        msg = str(e)
        if "eval_builtin_error" in msg:
            r["result"], r["strict"] = "FAIL", True
            r["error"] = msg
        elif e.code in ("compile_error", "parse_error") or "rego_" in msg:
            r["result"], r["error"], r["load_error"] = "ERROR", msg, True
        else:
            r["result"], r["error"] = "ERROR", msg
    if prints:
        r["output"] = "\n".join(prints)
    return r


def run_tests(dirs, run_re, v0=False):
    bundle = Bundle(dirs, v0)
    tests = discover_tests(bundle)
    results = []
    try:
        base_engine = bundle.engine()
        base_error = None
    except OpaError as e:
        base_engine, base_error = None, str(e)
    if base_error is None:
        # compile everything once: a compile error fails the whole run
        try:
            base_engine.eval_query("x = 1")
        except OpaError as e:
            base_error = str(e)
    if base_error:
        bundle.load_errors.append(base_error)
    for t in tests:
        name = t["name"]
        # OPA reports ruleRef.String(): the head ref up to the test name
        shown = ref_string(t["ref"])[len("data.") :]
        label = shown + (f"#{t['dup']:02d}" if t["dup"] else "")
        pkg_ref = ref_string(t["package"])
        r = {
            "file": t["file"],
            "row": t["row"],
            "package": pkg_ref,
            "name": label,
            "label": label,
        }
        if run_re and not re.search(run_re, f"{pkg_ref}.{label}"):
            continue
        if name.startswith("todo_"):
            r["result"] = "SKIP"
            results.append(r)
            continue
        if base_error:
            r["result"], r["error"], r["load_error"] = "ERROR", base_error, True
            results.append(r)
            continue
        query_ref = ref_string(t["package"] + t["ref"])
        start = time.perf_counter_ns()
        if t["ndefs"] > 1:
            replace = {}
            for other in tests:
                if (
                    other is not t
                    and other["package"] == t["package"]
                    and other["ref"] == t["ref"]
                ):
                    text = replace.get(other["file"])
                    if text is None:
                        text = dict(bundle.modules)[other["file"]]
                    # same-length renames keep every later offset valid
                    new = "gavelD" + other["name_tok"].text[6:]
                    replace[other["file"]] = rename_definition(
                        text, other["name_tok"], new
                    )
            try:
                engine = bundle.engine(replace)
                r.update(evaluate(engine, query_ref, t["kind"]))
                engine.close()
            except OpaError as e:
                r["result"], r["error"] = "ERROR", f"duplicate isolation: {e}"
        else:
            r.update(evaluate(base_engine, query_ref, t["kind"]))
        if t["func"]:
            r["note"] = "function"
        r["duration_ns"] = time.perf_counter_ns() - start
        results.append(r)
    cases_engine = base_engine if base_error is None else None
    for root in dirs:
        results.extend(run_cases(cases_engine, bundle.modules, root))
    return results, bundle.load_errors


def entrypoints(modules):
    """Rules marked `entrypoint: true` in a METADATA block, as slash paths."""
    found = []
    for path, text in modules:
        try:
            pkg = parse_package(tokenize(text))
        except ValueError:
            continue
        if pkg is None:
            continue
        package = ".".join(pkg)
        lines = text.splitlines()
        pending = False
        for line in lines:
            if line.startswith("#"):
                if ENTRYPOINT_RE.match(line):
                    pending = True
                continue
            if pending and line.strip():
                r = RULE_NAME_RE.match(line)
                if r and r.group(1) != "package":
                    found.append(package.replace(".", "/") + "/" + r.group(1))
                pending = False
    return found


def outcome_of(result, defined):
    if not defined:
        return "undefined"
    if isinstance(result, dict) and isinstance(result.get("outcome"), str):
        return result["outcome"]
    if isinstance(result, bool):
        return "allow" if result else "deny"
    if isinstance(result, list):
        return "deny" if result else "allow"
    return "allow"


def run_cases(engine, modules, root):
    cases_dir = os.path.join(root, "cases")
    if not os.path.isdir(cases_dir):
        return []
    default = entrypoints(modules)
    out = []
    for name in sorted(os.listdir(cases_dir)):
        if not name.endswith(".json"):
            continue
        path = os.path.join(cases_dir, name)
        for i, case in enumerate(json.load(open(path))):
            ep = case.get("entrypoint") or (default[0] if len(default) == 1 else None)
            r = {
                "file": path,
                "row": i + 1,
                "package": "cases",
                "name": case.get("name"),
                "label": case.get("name"),
                "kind": "case",
            }
            if engine is None:
                r["result"], r["error"] = "ERROR", "bundle does not load"
                out.append(r)
                continue
            if ep is None:
                r["result"] = "ERROR"
                r["error"] = f"no entrypoint (found {default})"
                out.append(r)
                continue
            if case.get("data"):
                r["result"] = "ERROR"
                r["error"] = "per-case data is not supported by this script"
                out.append(r)
                continue
            try:
                value = engine.eval_document(ep.replace("/", "."), case.get("input"))
                defined = True
            except OpaUndefinedError:
                value, defined = None, False
            except OpaError as e:
                r["result"] = "ERROR"
                r["error"] = str(e)
                out.append(r)
                continue
            expect = case.get("expect", {})
            ok = True
            if "outcome" in expect and expect["outcome"] != outcome_of(value, defined):
                ok = False
            if "result" in expect and expect["result"] != value:
                ok = False
            r["result"] = "PASS" if ok else "FAIL"
            r["value"] = {"outcome": outcome_of(value, defined), "result": value}
            r["expect"] = expect
            out.append(r)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("test")
    t.add_argument("dirs", nargs="+")
    t.add_argument("--run")
    t.add_argument("--json", action="store_true")
    t.add_argument("--v0", "--v0-compatible", action="store_true", dest="v0")
    e = sub.add_parser("eval")
    e.add_argument("dirs", nargs="+")
    e.add_argument("--query", required=True)
    e.add_argument("--input")
    e.add_argument("--v0", "--v0-compatible", action="store_true", dest="v0")
    args = ap.parse_args()

    if args.cmd == "eval":
        engine = Bundle(args.dirs, args.v0).engine()
        value = json.load(open(args.input)) if args.input else None
        try:
            doc = engine.eval_document(args.query.removeprefix("data."), value)
            print(json.dumps(doc, indent=2, sort_keys=True))
        except OpaUndefinedError:
            print("undefined")
        return 0

    results, load_errors = run_tests(args.dirs, args.run, args.v0)
    for err in load_errors:
        print(f"LOAD-ERROR {err}", file=sys.stderr)
    if args.json:
        for r in results:
            print(json.dumps(r, sort_keys=True, default=str))
    else:
        for r in results:
            line = f"{r['result']:5} {r['file']}:{r['row']}: {r['label']}"
            if r.get("strict"):
                line += "  [binding-strict]"
            if r.get("error"):
                line += f"  ({r['error']})"
            elif r["result"] == "FAIL":
                line += f"  got {json.dumps(r.get('value'), default=str)[:300]}"
                if "expect" in r:
                    line += f" expected {json.dumps(r['expect'])[:300]}"
            print(line)
    counts = {}
    for r in results:
        counts[r["result"]] = counts.get(r["result"], 0) + 1
    print(", ".join(f"{k}: {v}" for k, v in sorted(counts.items())), file=sys.stderr)
    return 1 if counts.get("FAIL") or counts.get("ERROR") or load_errors else 0


if __name__ == "__main__":
    sys.exit(main())
