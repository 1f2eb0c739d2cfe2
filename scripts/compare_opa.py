#!/usr/bin/env python3
"""Compare Gavel's `gavel test` verdicts with the reference OPA engine's.

  compare_opa.py DIR... [--v0] [--run REGEX] [--gavel PATH] [--json]

Runs `gavel test DIR... --format json` (binary: --gavel, else $GAVEL, else
target/release/gavel, else target/debug/gavel) and scripts/opa_reference.py's
runner on the same directories, matches tests by (package, name) (case-file
cases by (file, name)), and prints:

  DIFF       a verdict that differs, with both values / errors
  STRICT     the reference hit a builtin error: the binding is strict, opa test
             is not, so OPA's verdict is FAIL (or PASS under `not`); counted as
             a difference only when Gavel says ERROR
  UNSURE     a partial-object test that Gavel fails and the binding passes:
             OPA may fail a sub-case the binding cannot see
  ONLY-GAVEL / ONLY-OPA   a test found by one side only
  LOAD       a load/compile error of either side
  OUTPUT     same verdict, different print() messages (not a verdict diff)

then one summary line. Exit 1 when any verdict differs (or a test is found by
one side only), 0 otherwise; 2 on bad usage.
"""

import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import opa_reference  # noqa: E402


def find_gavel(arg):
    for cand in (
        arg,
        os.environ.get("GAVEL"),
        os.path.join(ROOT, "target/release/gavel"),
        os.path.join(ROOT, "target/debug/gavel"),
    ):
        if cand and os.path.exists(cand):
            return cand
    sys.exit("no gavel binary: pass --gavel PATH or set GAVEL")


def run_gavel(gavel, dirs, v0, run_re):
    cmd = [gavel, "test", *dirs, "--format", "json"]
    if v0:
        cmd.append("--v0-compatible")
    if run_re:
        cmd += ["--run", run_re]
    p = subprocess.run(cmd, capture_output=True, text=True)
    try:
        doc = json.loads(p.stdout)
    except json.JSONDecodeError:
        err = (p.stderr.strip() or p.stdout.strip() or f"exit {p.returncode}")
        return None, err
    return doc.get("tests", []), (p.stderr.strip() if p.returncode == 2 else None)


def key_of(r):
    if r.get("kind") == "case" or r.get("package") == "cases":
        return ("cases", os.path.basename(r.get("file", "")), r.get("name"))
    return (r.get("package"), r.get("name"))


def short(v, n=240):
    s = json.dumps(v, sort_keys=True, default=str)
    return s if len(s) <= n else s[: n - 3] + "..."


def describe(r):
    out = r.get("result", "?")
    if r.get("error"):
        out += f" error={short(r['error'], 300)}"
    elif "value" in r:
        out += f" value={short(r['value'])}"
    if r.get("output"):
        out += f" output={short(r['output'], 120)}"
    return out


def compare(dirs, v0=False, run_re=None, gavel=None, quiet=False):
    gavel = find_gavel(gavel)
    g_tests, g_err = run_gavel(gavel, dirs, v0, run_re)
    o_tests, o_errs = opa_reference.run_tests(dirs, run_re, v0)
    lines = []
    stats = {"gavel": 0, "opa": 0, "agree": 0, "diff": 0, "strict": 0,
             "unsure": 0, "only_gavel": 0, "only_opa": 0, "output_diff": 0}
    diffs = []
    if g_err:
        lines.append(f"LOAD gavel: {g_err}")
    for e in o_errs:
        lines.append(f"LOAD opa: {e}")
    g_tests = g_tests or []
    stats["gavel"], stats["opa"] = len(g_tests), len(o_tests)
    gmap, omap = {}, {}
    for r in g_tests:
        gmap.setdefault(key_of(r), r)
    for r in o_tests:
        omap.setdefault(key_of(r), r)
    for k, o in omap.items():
        g = gmap.get(k)
        name = ".".join(str(x) for x in k if x)
        loc = f"{o.get('file')}:{o.get('row')}"
        if g is None:
            if g_tests or not g_err:
                stats["only_opa"] += 1
                lines.append(f"ONLY-OPA   {name} ({loc}): {describe(o)}")
            continue
        gr, orr = g.get("result"), o.get("result")
        if o.get("strict"):
            stats["strict"] += 1
            if gr == "ERROR":
                stats["diff"] += 1
                diffs.append((name, loc, g, o, "gavel ERROR on a builtin error"))
            else:
                lines.append(
                    f"STRICT     {name} ({loc}): gavel {describe(g)} | "
                    f"opa(binding-strict) {describe(o)}"
                )
            continue
        if gr == orr:
            stats["agree"] += 1
            gout = [x.split(": ", 1)[-1] for x in (g.get("output") or [])]
            oout = o.get("output", "").split("\n") if o.get("output") else []
            if gout != oout:
                stats["output_diff"] += 1
                lines.append(
                    f"OUTPUT     {name} ({loc}): gavel {short(gout)} | opa {short(oout)}"
                )
            continue
        if o.get("note") == "partial-object" and orr == "PASS" and gr == "FAIL":
            stats["unsure"] += 1
            lines.append(
                f"UNSURE     {name} ({loc}): gavel {describe(g)} | opa {describe(o)}"
            )
            continue
        stats["diff"] += 1
        diffs.append((name, loc, g, o, ""))
    for k, g in gmap.items():
        if k not in omap:
            stats["only_gavel"] += 1
            name = ".".join(str(x) for x in k if x)
            lines.append(
                f"ONLY-GAVEL {name} ({g.get('file')}:{g.get('line')}): {describe(g)}"
            )
    for name, loc, g, o, why in diffs:
        lines.append(f"DIFF       {name} ({loc}){' [' + why + ']' if why else ''}")
        lines.append(f"    gavel: {describe(g)}")
        lines.append(f"    opa:   {describe(o)}")
    summary = (
        f"{' '.join(dirs)}: gavel {stats['gavel']} tests, opa {stats['opa']}; "
        f"agree {stats['agree']}, differ {stats['diff']}, "
        f"binding-strict {stats['strict']}, unsure {stats['unsure']}, "
        f"only-gavel {stats['only_gavel']}, only-opa {stats['only_opa']}, "
        f"print-output differs {stats['output_diff']}"
    )
    if not quiet:
        for line in lines:
            print(line)
        print(summary)
    return stats, lines, summary


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dirs", nargs="+")
    ap.add_argument("--v0", "--v0-compatible", action="store_true", dest="v0")
    ap.add_argument("--run")
    ap.add_argument("--gavel")
    ap.add_argument("--json", action="store_true", help="print the stats as JSON")
    args = ap.parse_args()
    for d in args.dirs:
        if not os.path.isdir(d):
            print(f"not a directory: {d}", file=sys.stderr)
            return 2
    stats, _, _ = compare(args.dirs, args.v0, args.run, args.gavel)
    if args.json:
        print(json.dumps(stats))
    bad = stats["diff"] or stats["only_gavel"] or stats["only_opa"]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
