#!/usr/bin/env python3
"""Run Rego through the reference OPA engine (OPA's own Go library).

Developer tool: compares Gavel's verdicts with OPA's. No project test depends
on it. Fetch the engine first with scripts/opa_reference_setup.sh.

  opa_reference.py test DIR... [--run REGEX] [--json]
      every test_* rule in every package, opa test semantics (pass only when
      defined and exactly true), plus every case in DIR/cases/*.json
  opa_reference.py eval DIR... --query data.pkg.rule [--input FILE]

Bundle semantics: every *.rego file is a module; data.json / data.yaml files
are merged under their directory path relative to DIR (cases/ is not data).
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

PACKAGE_RE = re.compile(r"^package\s+([A-Za-z0-9_.\"\[\]]+)", re.M)
TEST_RE = re.compile(r"^((?:todo_)?test_[A-Za-z0-9_]*)\b", re.M)
ENTRYPOINT_RE = re.compile(r"^#\s*entrypoint:\s*true\s*$")
RULE_NAME_RE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)")


def load_yaml(path):
    import yaml

    with open(path) as f:
        return yaml.safe_load(f)


def walk_bundle(root):
    """Yield (relative path, absolute path) for every file, sorted."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            full = os.path.join(dirpath, name)
            out.append((os.path.relpath(full, root), full))
    return out


def build_engine(dirs):
    engine = OpaEngine()
    engine.print_handler = lambda message, location: None
    modules = []
    for root in dirs:
        for rel, full in walk_bundle(root):
            base = os.path.basename(rel)
            parent = os.path.dirname(rel)
            if rel.endswith(".rego"):
                with open(full) as f:
                    text = f.read()
                engine.add_policy(full, text)
                modules.append((full, text))
            elif base in ("data.json", "data.yaml", "data.yml"):
                value = (
                    json.load(open(full)) if base.endswith(".json") else load_yaml(full)
                )
                engine.add_data(value, ".".join(p for p in parent.split(os.sep) if p))
    return engine, modules


def discover_tests(modules):
    tests = []
    for path, text in modules:
        m = PACKAGE_RE.search(text)
        if not m:
            continue
        package = m.group(1)
        seen = {}
        for t in TEST_RE.finditer(text):
            name = t.group(1)
            row = text.count("\n", 0, t.start()) + 1
            n = seen.get(name, 0)
            seen[name] = n + 1
            tests.append(
                {"file": path, "row": row, "package": package, "name": name, "dup": n}
            )
    return tests


def entrypoints(modules):
    """Rules marked `entrypoint: true` in a METADATA block, as slash paths."""
    found = []
    for path, text in modules:
        m = PACKAGE_RE.search(text)
        if not m:
            continue
        package = m.group(1)
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


def run_tests(dirs, run_re):
    engine, modules = build_engine(dirs)
    results = []
    for t in discover_tests(modules):
        label = t["name"] + (f"#{t['dup']:02d}" if t["dup"] else "")
        if run_re and not re.search(run_re, f"data.{t['package']}.{label}"):
            continue
        if t["dup"]:
            # The binding evaluates documents, not single rule bodies: a
            # duplicate name shares its value with the first one.
            continue
        r = dict(t, label=label)
        if t["name"].startswith("todo_"):
            r["result"] = "SKIP"
            results.append(r)
            continue
        start = time.perf_counter_ns()
        try:
            value = engine.eval_document(f"{t['package']}.{t['name']}")
            r["result"] = "PASS" if value is True else "FAIL"
            r["value"] = value
        except OpaUndefinedError:
            r["result"] = "FAIL"
            r["value"] = "<undefined>"
        except OpaError as e:
            r["result"] = "ERROR"
            r["error"] = str(e)
        r["duration_ns"] = time.perf_counter_ns() - start
        results.append(r)
    for root in dirs:
        results.extend(run_cases(engine, modules, root))
    return results


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
            r = {"file": path, "row": i, "package": "cases", "label": case.get("name")}
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
    e = sub.add_parser("eval")
    e.add_argument("dirs", nargs="+")
    e.add_argument("--query", required=True)
    e.add_argument("--input")
    args = ap.parse_args()

    if args.cmd == "eval":
        engine, _ = build_engine(args.dirs)
        value = json.load(open(args.input)) if args.input else None
        try:
            doc = engine.eval_document(args.query.removeprefix("data."), value)
            print(json.dumps(doc, indent=2, sort_keys=True))
        except OpaUndefinedError:
            print("undefined")
        return 0

    results = run_tests(args.dirs, args.run)
    if args.json:
        for r in results:
            print(json.dumps(r, sort_keys=True, default=str))
    else:
        for r in results:
            line = f"{r['result']:5} {r['file']}:{r['row']}: {r['label']}"
            if r["result"] == "ERROR":
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
    return 1 if counts.get("FAIL") or counts.get("ERROR") else 0


if __name__ == "__main__":
    sys.exit(main())
