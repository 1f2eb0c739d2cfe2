#!/usr/bin/env python3
"""Compare Gavel's `gavel test` verdicts with the reference OPA engine's on
public Rego libraries, unit by unit.

  compare_libraries.py [LIBRARY...] [--gavel PATH] [-j N] [--json OUT]
                       [--unit REGEX] [--timeout S] [-v]

The libraries are the ones of scripts/fetch_libraries.sh's table, extracted
by that script into .libraries/<name>/ (run it first). LIBRARY limits the run
to some of them (by name); --unit REGEX to the units whose name matches.

A unit is what `opa test` would be run on: a set of files under the library's
roots (see the table's description in fetch_libraries.sh). Units that are not
a plain directory are copied into a temporary directory (one sub-directory
per root, so data.json paths stay as they are); paths in messages are mapped
back to .libraries/.

Each unit runs in its own process (`compare_libraries.py --worker`, which
calls compare_opa.compare() and keeps both sides' raw results), so a crash or
a hang of Gavel or of the reference engine is recorded for that unit and the
run goes on. Units run N at a time (-j, default 2).

Per library it prints:
  units      units run (skipped: a unit calling a builtin of the project's own
             OPA build, which the reference engine does not have)
  tests      tests the reference engine found in the units it loads
  equal      same verdict (compare_opa's "agree")
  differ     verdicts that differ, plus tests found by one side only (in
             units that both sides load)
  unsure     binding-strict and partial-object verdicts that compare_opa does
             not count as differences; also the reference's ERROR on a
             builtin's operand type error (eval_type_error "operand N must
             be"), which `opa test` turns into an undefined call
  refused    units Gavel refused whole (no test run) while the reference
             loaded them, with their tests; each is listed with Gavel's first
             error line
  ref-refused  units the reference engine could not load (its v0 conversion
             or a compile error); not counted in tests
  crashed    units where the worker died or timed out
then a total line, and the causes: refused units grouped by Gavel's first
error (file, line and names taken out), differing tests grouped by both
sides' results and Gavel's error, reference refusals by their reason. Only
the first error of a refused unit is seen: other causes can hide behind it.
Then each refused or crashed unit (with -v also the reference's refusals and
every differing test). Exit 0 (it measures, it does not judge); 2 on bad
usage.
--json OUT writes every unit's details (stats, Gavel's error, the reference's
load errors, each differing test with both results).
"""

import argparse
import concurrent.futures
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no scripts/__pycache__ in the work tree

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
LIBRARIES = os.path.join(ROOT, ".libraries")
TABLE = os.path.join(HERE, "fetch_libraries.sh")


# ---------------------------------------------------------------------------
# The table
# ---------------------------------------------------------------------------


def read_table():
    libs, inside = [], False
    for line in open(TABLE):
        line = line.rstrip("\n")
        if line == "# BEGIN LIBRARIES":
            inside = True
            continue
        if line == "# END LIBRARIES":
            break
        if not inside:
            continue
        f = line[2:].split("|")
        if len(f) != 8:
            sys.exit(f"{TABLE}: bad table line: {line}")

        def words(s):
            return [] if s.strip() == "-" else s.split()

        libs.append(
            {
                "name": f[0],
                "repo": f[1],
                "commit": f[2],
                "rego": f[3],
                "roots": words(f[4]),
                "units": words(f[5]),
                "shared": words(f[6]),
                "custom": words(f[7]),
            }
        )
    return libs


# ---------------------------------------------------------------------------
# Units
# ---------------------------------------------------------------------------


def files_under(base, rel):
    """Files (relative to base) at or under rel, skipping dot entries."""
    full = os.path.join(base, rel)
    if os.path.isfile(full):
        return [rel]
    out = []
    for dirpath, dirnames, filenames in os.walk(full):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if not name.startswith("."):
                out.append(os.path.relpath(os.path.join(dirpath, name), base))
    return out


def expand(base, pattern):
    return sorted(
        os.path.relpath(p, base) for p in glob.glob(os.path.join(base, pattern))
    )


_test_cache = {}


def defines_tests(base, rel):
    if not rel.endswith(".rego"):
        return False
    if rel not in _test_cache:
        import opa_reference  # noqa: E402  (needs the engine only at use)

        try:
            _, tests = opa_reference.find_tests(open(os.path.join(base, rel)).read())
        except (ValueError, UnicodeDecodeError):
            tests = []
        _test_cache[rel] = bool(tests)
    return _test_cache[rel]


def calls_custom(base, rel, custom):
    if not custom or not rel.endswith(".rego"):
        return None
    text = open(os.path.join(base, rel), errors="replace").read()
    for name in custom:
        if re.search(r"(?<![\w.])" + re.escape(name) + r"\s*\(", text):
            return name
    return None


DATA_REF_RE = re.compile(
    r"\bdata((?:\.[A-Za-z_][A-Za-z0-9_]*|\[\"[^\"\\\\]*\"\])+)"
)
SEG_RE = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[\"([^\"]*)\"\]")
_info_cache = {}


def file_info(lib, base, rel):
    """(path, rules, refs) of a file: for a module its package path, its
    top-level rule names and every static data.x.y reference it makes; for a
    data.json/yaml its data path (directories below its root)."""
    key = (lib["name"], rel)
    if key in _info_cache:
        return _info_cache[key]
    info = (None, set(), [])
    name = os.path.basename(rel)
    if rel.endswith(".rego"):
        import opa_reference  # noqa: E402

        text = open(os.path.join(base, rel), errors="replace").read()
        try:
            toks = opa_reference.tokenize(text)
            pkg = opa_reference.parse_package(toks)
            rules = set()
            for st in opa_reference.statements(toks):
                head, _ = opa_reference.ground_head(st)
                if head and st[0].text not in ("package", "import"):
                    rules.add(head[0][0])
        except ValueError:
            pkg, rules = None, set()
        refs = [
            [a or b for a, b in SEG_RE.findall(m.group(1))]
            for m in DATA_REF_RE.finditer(text)
        ]
        info = (pkg, rules, refs)
    elif name in ("data.json", "data.yaml", "data.yml"):
        i, sub = root_of(lib, rel)
        if i is not None:
            d = os.path.dirname(sub)
            info = ([p for p in d.split(os.sep) if p and p != "."], set(), [])
    _info_cache[key] = info
    return info


def needs(ref, path, rules, is_data):
    """Whether a reference data.<ref> can reach the file at <path>."""
    n = min(len(ref), len(path))
    if ref[:n] != path[:n]:
        return False
    if len(ref) <= len(path) or is_data:
        return True
    return ref[len(path)] in rules  # a rule of that package (or below it)


def needed_shared(lib, base, own, candidates):
    """The shared files a unit needs: those its files reference (a module's
    package or a data file's path), transitively. A module of the unit's own
    package is always needed."""
    refs, own_pkgs = [], set()
    for f in own:
        pkg, _, r = file_info(lib, base, f)
        refs.extend(r)
        if f.endswith(".rego") and pkg:
            own_pkgs.add(tuple(pkg))
    chosen, pending = [], list(candidates)
    changed = True
    while changed:
        changed = False
        for f in list(pending):
            path, rules, r = file_info(lib, base, f)
            if path is None:
                continue
            is_data = not f.endswith(".rego")
            if (not is_data and tuple(path) in own_pkgs) or any(
                needs(x, path, rules, is_data) for x in refs
            ):
                chosen.append(f)
                pending.remove(f)
                refs.extend(r)
                changed = True
    return [f for f in candidates if f in chosen]


def build_units(lib):
    """[{name, files (relative to the library dir), skipped?}]"""
    base = os.path.join(LIBRARIES, lib["name"])
    units, claimed, dir_units = [], set(), set()
    rest = False
    for pat in lib["units"]:
        if pat == "REST":
            rest = True
            continue
        for rel in expand(base, pat):
            if os.path.isdir(os.path.join(base, rel)):
                files = files_under(base, rel)
                dir_units.update(files)
            else:
                files = [rel]
                if rel.endswith("_test.rego"):
                    src = rel[: -len("_test.rego")] + ".rego"
                    if os.path.isfile(os.path.join(base, src)):
                        files.append(src)
            claimed.update(files)
            units.append({"name": rel, "files": files})
    if rest:
        files = [
            f
            for r in lib["roots"]
            for f in files_under(base, r)
            if f not in claimed
        ]
        units.append({"name": "REST", "files": files})
    shared = []
    for pat in lib["shared"]:
        for rel in expand(base, pat):
            for f in files_under(base, rel):
                if f in dir_units or defines_tests(base, f):
                    continue
                if calls_custom(base, f, lib["custom"]):
                    continue
                shared.append(f)
    shared = list(dict.fromkeys(shared))
    for u in units:
        for f in u["files"]:
            c = calls_custom(base, f, lib["custom"])
            if c:
                u["skipped"] = f"calls {c} ({f})"
                break
        own = set(u["files"])
        needed = needed_shared(lib, base, u["files"], [f for f in shared if f not in own])
        u["files"] = u["files"] + needed
        if not any(defines_tests(base, f) for f in own):
            u["skipped"] = u.get("skipped") or "no test rule"
    return units


def root_of(lib, rel):
    for i, r in enumerate(lib["roots"]):
        if rel == r or rel.startswith(r.rstrip("/") + "/"):
            return i, os.path.relpath(rel, r)
    return None, None


def materialize(lib, unit, tmp):
    """-> (dirs to test, {tmp prefix: original prefix})."""
    base = os.path.join(LIBRARIES, lib["name"])
    # a plain directory unit of a single root with nothing shared: as is
    if not lib["shared"] and len(lib["roots"]) == 1:
        d = os.path.join(base, unit["name"])
        if os.path.isdir(d) and unit["name"] not in lib["roots"]:
            return [d], {}
    dirs, mapping = {}, {}
    for rel in unit["files"]:
        i, sub = root_of(lib, rel)
        if i is None:
            continue
        d = os.path.join(tmp, f"r{i}")
        dirs[i] = d
        mapping[d + "/"] = os.path.join(base, lib["roots"][i]) + "/"
        dst = os.path.join(d, sub)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copyfile(os.path.join(base, rel), dst)
    return [dirs[i] for i in sorted(dirs)], mapping


def unmap(obj, mapping):
    """Temporary paths back to .libraries/ paths, relative to the repo root."""
    mapping = dict(mapping)
    mapping[ROOT + "/"] = ""
    mapping = {a: (b[len(ROOT) + 1:] if b.startswith(ROOT + "/") else b)
               for a, b in mapping.items()}
    s = json.dumps(obj)
    for a, b in mapping.items():
        s = s.replace(json.dumps(a)[1:-1], json.dumps(b)[1:-1])
        s = s.replace(json.dumps(a.rstrip("/"))[1:-1], json.dumps(b.rstrip("/"))[1:-1])
    return json.loads(s)


# ---------------------------------------------------------------------------
# The worker: one unit, in its own process
# ---------------------------------------------------------------------------


def worker():
    spec = json.load(sys.stdin)
    sys.path.insert(0, HERE)
    import compare_opa  # noqa: E402

    seen = {}
    real_gavel = compare_opa.run_gavel
    real_ref = compare_opa.opa_reference.run_tests

    def run_gavel(*a, **k):
        seen["gavel"] = real_gavel(*a, **k)
        return seen["gavel"]

    def run_ref(*a, **k):
        try:
            seen["opa"] = real_ref(*a, **k)
        except Exception as e:  # e.g. a data.json the loader cannot read
            seen["opa"] = ([], [f"reference raised {type(e).__name__}: {e}"])
        return seen["opa"]

    compare_opa.run_gavel = run_gavel
    compare_opa.opa_reference.run_tests = run_ref
    stats, lines, _ = compare_opa.compare(
        spec["dirs"], spec["v0"], None, spec["gavel"], quiet=True
    )
    g_tests, g_err = seen["gavel"]
    o_tests, o_errs = seen["opa"]
    gmap = {compare_opa.key_of(r): r for r in (g_tests or [])}
    tests = []
    keep = ("result", "error", "value", "strict", "note", "load_error", "file",
            "row", "line")
    for r in o_tests:
        k = compare_opa.key_of(r)
        g = gmap.get(k)
        tests.append(
            {
                "name": ".".join(str(x) for x in k if x),
                "opa": {x: r[x] for x in keep if x in r},
                "gavel": None if g is None else {x: g[x] for x in keep if x in g},
            }
        )
    okeys = {compare_opa.key_of(r) for r in o_tests}
    for k, g in gmap.items():
        if k not in okeys:
            tests.append(
                {
                    "name": ".".join(str(x) for x in k if x),
                    "opa": None,
                    "gavel": {x: g[x] for x in keep if x in g},
                }
            )
    out = {
        "stats": stats,
        "gavel_error": g_err,
        "gavel_ran": g_tests is not None,
        "opa_errors": o_errs,
        "opa_tests": len(o_tests),
        "lines": lines,
        "tests": tests,
    }
    sys.stdout.write("\n" + json.dumps(out, default=str) + "\n")


# ---------------------------------------------------------------------------
# The driver
# ---------------------------------------------------------------------------


def first_line(s):
    """The first line of a message (two when the first only announces)."""
    lines = [x.strip() for x in (s or "").strip().splitlines() if x.strip()]
    if not lines:
        return ""
    if lines[0].endswith(":") and len(lines) > 1:
        return lines[0] + " " + lines[1]
    return lines[0]


# A builtin's operand type error: the binding raises it as eval_type_error,
# while `opa test` (non-strict builtin errors) makes the call undefined, like
# the eval_builtin_error case compare_opa calls binding-strict.
OPERAND_TYPE_ERROR = re.compile(r"eval_type_error: [\w.]+: operand \d+ must be")


def verdict(t):
    """equal / differ / unsure for one test record of a unit both sides load."""
    o, g = t["opa"], t["gavel"]
    if o is None or g is None:
        return "differ"
    strict = o.get("strict") or (
        o.get("result") == "ERROR" and OPERAND_TYPE_ERROR.search(str(o.get("error", "")))
    )
    if strict:
        return "differ" if g.get("result") == "ERROR" else "unsure"
    if g.get("result") == o.get("result"):
        return "equal"
    if o.get("note") == "partial-object" and o.get("result") == "PASS" and g.get(
        "result"
    ) == "FAIL":
        return "unsure"
    return "differ"


def run_unit(lib, unit, gavel, timeout, tmp_root):
    rec = {"unit": unit["name"], "files": len(unit["files"])}
    if unit.get("skipped"):
        rec["status"] = "skipped"
        rec["why"] = unit["skipped"]
        return rec
    tmp = tempfile.mkdtemp(dir=tmp_root)
    start = time.monotonic()
    try:
        dirs, mapping = materialize(lib, unit, tmp)
        spec = {"dirs": dirs, "v0": lib["rego"] == "v0", "gavel": gavel}
        # own process group: a timeout ends the worker and the gavel it runs
        p = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "--worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        try:
            out, err = p.communicate(json.dumps(spec), timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, 9)
            p.communicate()
            rec["status"] = "crashed"
            rec["why"] = f"timeout after {timeout}s"
            return rec
        doc = None
        if p.returncode == 0 and out.strip():
            try:
                doc = json.loads(out.strip().splitlines()[-1])
            except json.JSONDecodeError:
                doc = None
        if doc is None:
            rec["status"] = "crashed"
            tail = (err or out or "").strip().splitlines()[-5:]
            rec["why"] = unmap(f"worker exit {p.returncode}: " + " | ".join(tail), mapping)
            return rec
        doc = unmap(doc, mapping)
        rec.update(doc)
        o_tests = [t for t in doc["tests"] if t["opa"] is not None]
        ref_refused = bool(doc["opa_errors"]) or any(
            t["opa"].get("load_error") for t in o_tests
        )
        gavel_refused = not doc["gavel_ran"] or (
            doc["gavel_error"] and not any(t["gavel"] for t in doc["tests"])
        )
        rec["tests_opa"] = len(o_tests)
        if ref_refused:
            rec["status"] = "ref-refused"
            rec["why"] = first_line(doc["opa_errors"][0] if doc["opa_errors"] else "")
        elif gavel_refused and o_tests:
            rec["status"] = "refused"
            rec["why"] = first_line(doc["gavel_error"])
        else:
            rec["status"] = "ran"
            for t in doc["tests"]:
                t["verdict"] = verdict(t)
        return rec
    finally:
        rec["seconds"] = round(time.monotonic() - start, 2)
        shutil.rmtree(tmp, ignore_errors=True)


def normalize(msg):
    """A message without its file:line:col, names and numbers: a cause key."""
    m = first_line(msg)
    m = re.sub(r"^gavel: ", "", m)
    m = re.sub(r"\S*\.(rego|json|yaml|yml):\d+(:\d+)?:?\s*", "", m)
    m = re.sub(r"rule (data\.\S+) is recursive.*", "rule R is recursive", m)
    m = re.sub(r"var `[^`]*`", "var `V`", m)
    m = re.sub(r"\(path \[.*", "", m)
    m = re.sub(r"\d+", "N", m)
    m = re.sub(r"N errors? occurred", "N error(s) occurred", m)
    return m.strip()[:150]


def causes(libs):
    """(kind, key) -> [units, tests]: refused units by Gavel's first error,
    ref-refused / crashed units by the reason; differing tests by both sides'
    results and Gavel's error."""
    out = {}

    def add(kind, key, units, tests):
        c = out.setdefault((kind, key), [0, 0])
        c[0] += units
        c[1] += tests

    for lib in libs:
        for r in lib["recs"]:
            if r["status"] in ("refused", "ref-refused", "crashed"):
                add(r["status"], normalize(r["why"]), 1, r.get("tests_opa", 0))
            elif r["status"] == "ran":
                for t in r["tests"]:
                    if t["verdict"] != "differ":
                        continue
                    g, o = t["gavel"], t["opa"]
                    key = (
                        f"gavel {g['result'] if g else 'absent'}"
                        + (f" ({normalize(str(g['error']))})" if g and g.get("error") else "")
                        + f" / opa {o['result'] if o else 'absent'}"
                    )
                    add("differ", key, 0, 1)
    return out


def tally(recs):
    c = dict(units=0, skipped=0, tests=0, equal=0, differ=0, unsure=0,
             refused=0, refused_tests=0, ref_refused=0, ref_refused_tests=0,
             crashed=0)
    for r in recs:
        s = r["status"]
        if s == "skipped":
            c["skipped"] += 1
            continue
        c["units"] += 1
        if s == "crashed":
            c["crashed"] += 1
        elif s == "ref-refused":
            c["ref_refused"] += 1
            c["ref_refused_tests"] += r.get("tests_opa", 0)
        elif s == "refused":
            c["refused"] += 1
            c["refused_tests"] += r["tests_opa"]
            c["tests"] += r["tests_opa"]
        else:
            c["tests"] += r["tests_opa"]
            for t in r["tests"]:
                c[t["verdict"]] += 1
    return c


def fmt_row(name, rego, c):
    return (
        f"{name:28} {rego:3} {c['units']:5} {c['skipped']:4} {c['tests']:6} "
        f"{c['equal']:6} {c['differ']:6} {c['unsure']:6} "
        f"{c['refused']:4} ({c['refused_tests']:4}) "
        f"{c['ref_refused']:4} ({c['ref_refused_tests']:4}) {c['crashed']:4}"
    )


HEADER = (
    f"{'library':28} {'v':3} {'units':>5} {'skip':>4} {'tests':>6} "
    f"{'equal':>6} {'differ':>6} {'unsure':>6} {'refused(tests)':>15} "
    f"{'ref-refused':>12} {'crash':>5}"
)


def main():
    if sys.argv[1:2] == ["--worker"]:
        worker()
        return 0
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("libraries", nargs="*")
    ap.add_argument("--gavel")
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("--json", dest="json_out")
    ap.add_argument("--unit", help="only units whose name matches this regex")
    ap.add_argument("--timeout", type=int, default=600, help="seconds per unit")
    ap.add_argument("-v", "--verbose", action="store_true",
                    help="also list every differing test")
    args = ap.parse_args()

    sys.path.insert(0, HERE)
    import compare_opa  # noqa: E402  (exits if the reference engine is missing)

    gavel = os.path.abspath(compare_opa.find_gavel(args.gavel))
    table = read_table()
    names = [l["name"] for l in table]
    for n in args.libraries:
        if n not in names:
            print(f"unknown library {n}; known: {', '.join(names)}", file=sys.stderr)
            return 2
    libs = [l for l in table if not args.libraries or l["name"] in args.libraries]
    work = []
    for lib in libs:
        base = os.path.join(LIBRARIES, lib["name"])
        src = os.path.join(base, ".source")
        if not os.path.isfile(src):
            print(f"{lib['name']}: not extracted; run scripts/fetch_libraries.sh",
                  file=sys.stderr)
            return 2
        lib["extracted_commit"] = open(src).read().split()[1]
        units = build_units(lib)
        if args.unit:
            units = [u for u in units if re.search(args.unit, u["name"])]
        lib["recs"] = [None] * len(units)
        for i, u in enumerate(units):
            work.append((lib, i, u))

    print(f"gavel: {gavel}", file=sys.stderr)
    tmp_root = tempfile.mkdtemp(prefix="gavel-libcmp-")
    t0 = time.monotonic()
    done = 0
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as ex:
            futs = {
                ex.submit(run_unit, lib, u, gavel, args.timeout, tmp_root): (lib, i)
                for lib, i, u in work
            }
            for f in concurrent.futures.as_completed(futs):
                lib, i = futs[f]
                try:
                    lib["recs"][i] = f.result()
                except Exception as e:  # a bug here must not lose the run
                    lib["recs"][i] = {"unit": work[i][2]["name"], "status": "crashed",
                                      "why": f"driver: {e!r}"}
                done += 1
                if sys.stderr.isatty() and done % 10 == 0:
                    print(f"\r{done}/{len(work)} units", end="", file=sys.stderr)
    finally:
        shutil.rmtree(tmp_root, ignore_errors=True)
    if sys.stderr.isatty():
        print(file=sys.stderr)

    print(HEADER)
    total = None
    for lib in libs:
        c = tally(lib["recs"])
        lib["tally"] = c
        print(fmt_row(lib["name"], lib["rego"], c))
        total = c if total is None else {k: total[k] + c[k] for k in c}
    print(fmt_row("TOTAL", "", total))
    pct = 100.0 * total["equal"] / total["tests"] if total["tests"] else 0.0
    print(f"equal/tests: {total['equal']}/{total['tests']} ({pct:.1f}%); "
          f"{len(work)} units in {time.monotonic() - t0:.0f}s with {args.jobs} jobs")

    print("\ncauses (units, tests):")
    order = {"refused": 0, "differ": 1, "crashed": 2, "ref-refused": 3}
    for (kind, key), (u, n) in sorted(
        causes(libs).items(), key=lambda kv: (order[kv[0][0]], -kv[1][1])
    ):
        units = f"{u:3} units " if kind != "differ" else " " * 10
        print(f"  {kind:11} {units}{n:4} tests  {key}")

    for lib in libs:
        recs = lib["recs"]
        shown = [r for r in recs if r["status"] in ("refused", "crashed")
                 or (args.verbose and r["status"] == "ref-refused")]
        differ = [(r, t) for r in recs if r["status"] == "ran"
                  for t in r["tests"] if t["verdict"] == "differ"]
        if not shown and not (args.verbose and differ):
            continue
        print(f"\n== {lib['name']} ({lib['repo']}@{lib['extracted_commit'][:12]})")
        for r in shown:
            tag = {"refused": "REFUSED", "crashed": "CRASHED",
                   "ref-refused": "REF-REFUSED"}[r["status"]]
            print(f"{tag:11} {r['unit']} ({r.get('tests_opa', '?')} tests): {r['why']}")
        if args.verbose:
            for r, t in differ:
                g, o = t["gavel"] or {}, t["opa"] or {}
                print(f"DIFF        {r['unit']}: {t['name']}: gavel "
                      f"{g.get('result', 'absent')} {first_line(str(g.get('error', '')))[:200]}"
                      f" | opa {o.get('result', 'absent')} "
                      f"{first_line(str(o.get('error', '')))[:200]}")

    if args.json_out:
        doc = {
            "gavel": gavel,
            "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "libraries": [
                {k: lib[k] for k in ("name", "repo", "commit", "extracted_commit",
                                     "rego", "roots", "tally")}
                | {"units": lib["recs"]}
                for lib in libs
            ],
            "total": total,
            "causes": [
                {"kind": k, "key": key, "units": u, "tests": n}
                for (k, key), (u, n) in sorted(causes(libs).items())
            ],
        }
        with open(args.json_out, "w") as f:
            json.dump(doc, f, indent=1, default=str)
        print(f"details: {args.json_out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
