#!/usr/bin/env python3
"""Benchmark batch replay on a real third-party library against OPA's own
engine (issue 21, point 1). Developer tool; nothing of the library or of the
generated decisions is committed: everything lands in .bench-data/ (ignored).

  bench_real_library.py [--decisions N] [--rounds R] [--cycles C] [--seed S]
                        [--gavel BIN] [--library DIR] [--skip-opa-rounds]

The library: Elastic cloudbeat's security-policies bundle (elastic/cloudbeat,
pinned in scripts/fetch_libraries.sh: `scripts/fetch_libraries.sh` extracts it
into .libraries/cloudbeat-security-policies/). 762 modules, 2,504 rules, Rego
v1, one entrypoint: data.main.findings, which runs every rule of the
benchmark named by input.benchmark (`with data.benchmark_data_adapter as`
that benchmark's adapter) on the resource in input.resource.

Steps:
1. Two versions in .bench-data/cloudbeat/: 1.0.0 is the bundle as
   published; 1.0.1 the same with one real edit (CIS Kubernetes 1.1.1, the
   API server pod spec file, tightened from 644 to 600).
2. Fixtures: every `with input as EXPR` of the library's own tests (2,005
   sites) is wrapped in a custom builtin that records EXPR's value; running
   the tests of each benchmark through the reference engine yields the
   library's own realistic input documents (cached in fixtures.json).
3. Inputs: N decisions (default 24,000), each a fixture of a benchmark
   (picked uniformly) whose leaves are, one in four, replaced by the value
   another fixture of the same type/subType has at the same path (one in
   twenty dropped), with input.benchmark set, as cloudbeat sends it.
   Seeded: the same N and seed give the same inputs.
4. OPA: the reference engine (OPA 1.20.2's Go library, .opa-ref/) evaluates
   each at data.main.findings and writes OPA's decision log
   (opa_decision_log.Writer: decision_id, input, result, timestamp,
   bundles.cloudbeat.revision = 1.0.0, nd_builtin_cache time.now_ns). Time is
   pinned per scan cycle: decisions fall in C cycles (default 24, one an
   hour) and all of a cycle see the cycle's instant (the binding prepares one
   query per distinct `with time.now_ns as N`, 1.3 s each on this library).
   Then R warm rounds: the same queries (already prepared), the same inputs
   (already encoded), one by one through the native call, timed as a whole
   (what OPA's own loop costs: parse input, evaluate, write the result).
5. Gavel, fresh store .bench-data/gavel.db: `gavel import` both versions,
   `gavel decisions import` the log, then R rounds, interleaved, of
   `gavel --format json replay --all` and `... --against cloudbeat@1.0.1`,
   timed as whole commands, and of `gavel eval cloudbeat@1.0.0 --input ONE`
   (end to end, load included). Checks: every decision DETERMINISTIC under
   its own version; the --against verdict counts are printed.

Prints min/median/max per figure and the ratio to OPA's warm loop (median
over median; OPA's loop runs on one core, Gavel's replay on every core).
Exit 1 when a decision is not DETERMINISTIC under its own version.
"""

import argparse
import collections
import ctypes
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import opa_reference as R  # noqa: E402
from opa_decision_log import Num, Writer, dumps, find_gavel, loads, rfc3339_to_ns  # noqa: E402

LIBRARY = os.path.join(
    ROOT, ".libraries/cloudbeat-security-policies/security-policies/bundle"
)
DATA = os.path.join(ROOT, ".bench-data")
NAME = "cloudbeat"
OWN, CHANGED = "1.0.0", "1.0.1"
ENTRYPOINT = "main/findings"
BENCHMARKS = ["cis_aws", "cis_azure", "cis_eks", "cis_gcp", "cis_k8s"]
# The edit of the changed version: (file, old text, new text).
EDIT = (
    "compliance/cis_k8s/rules/cis_1_1_1/rule.rego",
    "audit.file_permission_match(6, 4, 4)",
    "audit.file_permission_match(6, 0, 0)",
)
FIRST_CYCLE = "2026-11-02T00:00:00Z"


def say(msg):
    print(msg, flush=True)


# ---------------------------------------------------------------------------
# 1. Versions
# ---------------------------------------------------------------------------


def make_versions(library, with_tests):
    """The library's test modules (test*.rego, *_test.rego) are left out
    unless with_tests: data.main.findings never reaches them, and with them
    Gavel's interpreter did not finish one decision in 200 s."""
    base = os.path.join(DATA, NAME)
    own, changed = os.path.join(base, OWN), os.path.join(base, CHANGED)
    ignore = None if with_tests else shutil.ignore_patterns("test*.rego", "*_test.rego")
    for d in (own, changed):
        if os.path.exists(d):
            shutil.rmtree(d)
        shutil.copytree(library, d, ignore=ignore)
    path = os.path.join(changed, EDIT[0])
    text = open(path).read()
    if EDIT[1] not in text:
        sys.exit(f"the edit no longer applies: {EDIT[0]} has no {EDIT[1]!r}")
    with open(path, "w") as f:
        f.write(text.replace(EDIT[1], EDIT[2], 1))
    return own, changed


# ---------------------------------------------------------------------------
# 2. Fixtures from the library's own tests
# ---------------------------------------------------------------------------


def wrap_input_sites(text):
    """`with input as EXPR` -> `with input as bench_capture(EXPR)`. EXPR ends
    at depth 0 on a new line, at `with` or `;`, or at a closing bracket of
    the enclosing expression. Returns (text, sites)."""
    toks = R.tokenize(text)
    out, last, i, n = [], 0, 0, 0
    while i + 3 < len(toks):
        if toks[i].text == "with" and toks[i + 1].text == "input" and toks[i + 2].text == "as":
            j, bal = i + 3, 0
            while j < len(toks):
                u = toks[j]
                if j > i + 3 and bal == 0:
                    prev = toks[j - 1]
                    if u.line != prev.line + prev.text.count("\n") or u.text in ("with", ";"):
                        break
                if u.kind == "op" and u.text in "([{":
                    bal += 1
                elif u.kind == "op" and u.text in ")]}":
                    if bal == 0:
                        break
                    bal -= 1
                j += 1
            s, e = toks[i + 3], toks[j - 1]
            out += [text[last:s.start], "bench_capture(", text[s.start:e.start + len(e.text)], ")"]
            last = e.start + len(e.text)
            n += 1
            i = j
            continue
        i += 1
    out.append(text[last:])
    return "".join(out), n


def capture_fixtures(library):
    cache = os.path.join(DATA, "fixtures.json")
    if os.path.exists(cache):
        return {b: [loads(t) for t in ts] for b, ts in json.load(open(cache)).items()}
    t0 = time.time()
    bundle = R.Bundle([library])
    engine = R.OpaEngine()
    engine.print_handler = lambda m, loc: None
    current = {"b": None}
    seen = collections.defaultdict(set)

    def capture(x):
        if isinstance(x, dict) and current["b"]:
            seen[current["b"]].add(json.dumps(x, sort_keys=True))
        return x

    engine.register_function("bench_capture", capture, arity=1)
    sites = 0
    for path, text in bundle.modules:
        if "with input as" in text:
            text, n = wrap_input_sites(text)
            sites += n
        engine.add_policy(path, text)
    for value, path in bundle.data:
        engine.add_data(value, path)

    def run(bench, rules):
        """Evaluate the rules (tests included) of these rule packages; on a
        strict builtin error, halve the list (a failing package alone is
        left out)."""
        current["b"] = bench
        q = ("x := {k: v | some k in " + json.dumps(rules)
             + f"; v := data.compliance.{bench}.rules[k]}}")
        try:
            engine.eval_query(q)
            return 0
        except R.OpaError:
            if len(rules) == 1:
                return 1
            h = len(rules) // 2
            return run(bench, rules[:h]) + run(bench, rules[h:])

    left_out = 0
    for bench in BENCHMARKS:
        rules = sorted(os.listdir(os.path.join(library, "compliance", bench, "rules")))
        left_out += run(bench, rules)
    engine.close()
    out = {b: sorted(seen[b]) for b in BENCHMARKS}
    with open(cache, "w") as f:
        json.dump(out, f)
    say(f"fixtures: {sites} `with input as` sites, "
        + ", ".join(f"{b} {len(out[b])}" for b in BENCHMARKS)
        + f" distinct inputs; {left_out} rule packages left out (strict builtin error)"
        + f"; {time.time() - t0:.1f} s")
    return {b: [loads(t) for t in ts] for b, ts in out.items()}


# ---------------------------------------------------------------------------
# 3. Inputs
# ---------------------------------------------------------------------------


def leaves(v, prefix=()):
    if isinstance(v, dict) and v:
        for k, x in v.items():
            yield from leaves(x, prefix + (k,))
    else:
        yield prefix, v


def kind_of(doc):
    return (str(doc.get("type")), str(doc.get("subType")))


def set_path(doc, path, value, drop=False):
    cur = doc
    for k in path[:-1]:
        if not isinstance(cur.get(k), dict):
            return
        cur = cur[k]
    if drop:
        cur.pop(path[-1], None)
    else:
        cur[path[-1]] = value


def generate_inputs(fixtures, n, seed):
    rng = random.Random(seed)
    # values seen per (benchmark, type, subType, path)
    pools = collections.defaultdict(list)
    for b, docs in fixtures.items():
        for d in docs:
            for p, v in leaves(d):
                if p:
                    pools[(b, kind_of(d), p)].append(v)
    benches = [b for b in BENCHMARKS if fixtures.get(b)]
    out = []
    for _ in range(n):
        b = rng.choice(benches)
        doc = loads(dumps(rng.choice(fixtures[b])))  # deep copy keeping number text
        k = kind_of(doc)
        for p, _v in list(leaves(doc)):
            if not p or p[0] == "benchmark":
                continue
            r = rng.random()
            if r < 0.05 and len(p) > 1:
                set_path(doc, p, None, drop=True)
            elif r < 0.30:
                choices = pools.get((b, k, p))
                if choices:
                    set_path(doc, p, loads(dumps(rng.choice(choices))))
        doc["benchmark"] = b
        out.append(doc)
    return out


# ---------------------------------------------------------------------------
# 4. OPA: the decision log, then the warm loop
# ---------------------------------------------------------------------------


def opa_log_and_rounds(own_dir, inputs, cycles, rounds, log_path):
    first = rfc3339_to_ns(FIRST_CYCLE)
    nows = [first + (i * cycles // len(inputs)) * 3600 * 1_000_000_000 for i in range(len(inputs))]
    t0 = time.time()
    w = Writer(own_dir, NAME, OWN)
    load_s = time.time() - t0
    errors = 0
    t0 = time.time()
    with open(log_path, "w", encoding="utf-8") as out:
        for i, (doc, now) in enumerate(zip(inputs, nows)):
            try:
                ev = w.event(ENTRYPOINT, doc, now)
            except R.OpaError as e:
                errors += 1
                if errors <= 3:
                    say(f"  OPA error on input {i}: {e}")
                continue
            out.write(dumps(ev) + "\n")
    cold_s = time.time() - t0
    say(f"OPA {len(inputs) - errors} decisions logged to {os.path.relpath(log_path, ROOT)} "
        f"({errors} errors) in {cold_s:.1f} s (load {load_s:.1f} s; {cycles} cycle queries prepared on first use)")

    # Warm loop: the same query strings (prepared), inputs encoded up front.
    lib, handle = w.engine._lib, w.engine._handle
    queries = {}
    jobs = []
    for doc, now in zip(inputs, nows):
        q = queries.setdefault(now, f"x := data.main.findings with time.now_ns as {now}".encode())
        jobs.append((q, dumps(doc).encode("utf-8")))
    times = []
    for r in range(rounds):
        t0 = time.perf_counter()
        for q, raw in jobs:
            ptr = lib.OpaEvalQuery(handle, q, raw, 0, 0)
            ctypes.string_at(ptr)
            lib.OpaFreeString(ptr)
        times.append(time.perf_counter() - t0)
        say(f"  OPA warm round {r + 1}: {times[-1]:.2f} s ({len(jobs) / times[-1]:,.0f} decisions/s)")
    w.engine.close()
    return len(inputs) - errors, errors, times


# ---------------------------------------------------------------------------
# 5. Gavel
# ---------------------------------------------------------------------------


def run(cmd, check=True):
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    dt = time.perf_counter() - t0
    if check and p.returncode != 0:
        sys.stdout.write(p.stdout[-4000:])
        sys.stderr.write(p.stderr[-4000:])
        sys.exit(f"failed (exit {p.returncode}): {' '.join(cmd)}")
    return p, dt


def parse_report(p, what):
    try:
        return json.loads(p.stdout)
    except json.JSONDecodeError:
        sys.stderr.write(p.stdout[-2000:] + p.stderr[-2000:])
        sys.exit(f"{what}: no JSON report (exit {p.returncode})")


def mmm(xs):
    return f"{min(xs):.2f} / {statistics.median(xs):.2f} / {max(xs):.2f} s"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--decisions", type=int, default=24000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--cycles", type=int, default=24)
    ap.add_argument("--seed", type=int, default=21)
    ap.add_argument("--gavel", help="gavel binary (default: $GAVEL, target/*/gavel)")
    ap.add_argument("--library", default=LIBRARY)
    ap.add_argument("--with-tests", action="store_true",
                    help="keep the library's test modules in the versions")
    ap.add_argument("--timeout", type=int, default=5, help="gavel's evaluation time limit (s)")
    ap.add_argument("--parallel", type=int, default=0, help="gavel replay -p (0: one per core)")
    args = ap.parse_args()
    gavel = find_gavel(args.gavel)
    if not os.path.isdir(args.library):
        sys.exit(f"{args.library} missing: run scripts/fetch_libraries.sh "
                 "(after the search tool's fetch of github:elastic/cloudbeat)")
    os.makedirs(DATA, exist_ok=True)

    own_dir, changed_dir = make_versions(args.library, args.with_tests)
    fixtures = capture_fixtures(args.library)
    inputs = generate_inputs(fixtures, args.decisions, args.seed)
    log = os.path.join(DATA, "opa-decisions.jsonl")
    logged, opa_errors, opa_times = opa_log_and_rounds(own_dir, inputs, args.cycles, args.rounds, log)
    with open(os.path.join(DATA, "one-input.json"), "w") as f:
        f.write(dumps(inputs[0]))

    db = os.path.join(DATA, "gavel.db")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(db + suffix):
            os.remove(db + suffix)
    g = [gavel, "--db", db]
    _, dt = run(g + ["import", "--name", NAME, "--version", OWN, own_dir])
    _, dt2 = run(g + ["import", "--name", NAME, "--version", CHANGED, changed_dir])
    say(f"gavel import: {dt:.2f} s and {dt2:.2f} s")
    p, dt = run(g + ["decisions", "import", log])
    say(f"gavel decisions import: {dt:.2f} s: {p.stdout.strip()[:200]}")

    par = (["-p", str(args.parallel)] if args.parallel else []) + ["--timeout", str(args.timeout)]
    own_t, against_t, eval_t = [], [], []
    own_v = against_v = None
    for r in range(args.rounds):
        p, dt = run(g + ["--format", "json", "replay", "--all"] + par, check=False)
        own_t.append(dt)
        own_v = parse_report(p, "replay --all")
        p, dt = run(g + ["--format", "json", "replay", "--all", "--against",
                         f"{NAME}@{CHANGED}"] + par, check=False)
        against_t.append(dt)
        against_v = parse_report(p, "replay --all --against")
        p, dt = run(g + ["--format", "json", "eval", f"{NAME}@{OWN}", "--input",
                         os.path.join(DATA, "one-input.json"), "--now", FIRST_CYCLE,
                         "--timeout", str(args.timeout)], check=False)
        eval_t.append(dt)
        say(f"  gavel round {r + 1}: own {own_t[-1]:.2f} s, against {against_t[-1]:.2f} s, "
            f"eval {eval_t[-1] * 1000:.0f} ms")

    opa_med = statistics.median(opa_times)
    own_med, ag_med = statistics.median(own_t), statistics.median(against_t)
    say("")
    say(f"library: elastic/cloudbeat security-policies bundle ({args.library})")
    say(f"decisions: {logged} (OPA errors {opa_errors}); rounds {args.rounds}; min / median / max")
    say(f"  OPA warm loop (1 core)            {mmm(opa_times)}  {logged / opa_med:,.0f}/s")
    say(f"  gavel replay --all (own)          {mmm(own_t)}  {logged / own_med:,.0f}/s  "
        f"{opa_med / own_med:.2f}x OPA")
    say(f"  gavel replay --all --against      {mmm(against_t)}  {logged / ag_med:,.0f}/s  "
        f"{opa_med / ag_med:.2f}x OPA")
    say(f"  gavel eval (one decision, e2e)    {min(eval_t) * 1000:.0f} / "
        f"{statistics.median(eval_t) * 1000:.0f} / {max(eval_t) * 1000:.0f} ms")
    ov = own_v.get("verdicts", {})
    av = against_v.get("verdicts", {})
    say(f"  own version verdicts:  replayed {own_v.get('replayed')}: "
        + "  ".join(f"{k} {v}" for k, v in sorted(ov.items())))
    say(f"  against {CHANGED} verdicts: replayed {against_v.get('replayed')}: "
        + "  ".join(f"{k} {v}" for k, v in sorted(av.items())))
    extra = {k: v for k, v in against_v.items() if k not in ("verdicts", "changed_sample", "error_sample")}
    say(f"  against details: {json.dumps(extra)[:600]}")
    ok = ov.get("DETERMINISTIC", 0) == logged and own_v.get("replayed") == logged
    say(("PASS" if ok else "FAIL") + f": {ov.get('DETERMINISTIC', 0)}/{logged} DETERMINISTIC under their own version")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
