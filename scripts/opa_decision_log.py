#!/usr/bin/env python3
"""Write OPA decision logs with the reference OPA engine, and round-trip them
through Gavel (developer check; no project test depends on it).

  opa_decision_log.py round-trip [--db PATH] [--gavel BIN] [--out FILE]
      for every sample-policies/NAME/VERSION/: load the bundle into a fresh
      reference engine (scripts/opa_reference.py's loader), evaluate the
      inputs of sample-decisions/NAME.jsonl whose bundles.NAME.revision is
      VERSION at the event's path, write OPA's decision log (--out, else a
      temp file), then in a fresh store (--db, else a temp file):
          gavel import sample-policies/*/*/
          gavel decisions import LOG
          gavel --format json replay --all
          gavel verify
      and print the verdict counts per version. Exit 0 only when every
      decision replays DETERMINISTIC and the chain verifies; each other
      verdict is printed with `gavel replay ID`.

  opa_decision_log.py write VERSION_DIR --inputs FILE.jsonl --out LOG
                      [--path a/b/rule] [--name NAME] [--revision REV]
      OPA's decision log for any inputs. A line of FILE.jsonl that has an
      "input" key is a decision event (its input, path and timestamp are
      used, and the http.send responses of its nd_builtin_cache answer the
      policy's http.send calls and are recorded again); any other line is an input document (path from --path, else the
      bundle's single `entrypoint: true` rule; time: now). NAME and REV default
      to VERSION_DIR's parent directory name and its own name.

The events are what OPA's decision logger writes (OPA-FORMATS.md, "Decision
logs"): a fresh decision_id (uuid4), path, input, result (absent when
undefined), timestamp (RFC 3339, nanoseconds, UTC), bundles {NAME:
{revision}}, labels {id, version}, metrics {timer_rego_query_eval_ns} and
nd_builtin_cache {"time.now_ns": {"[]": N}}.

Time pinning. The binding has no EvalTime option, so the query is
`x := data.a.b.rule with time.now_ns as N` (a `with` on a builtin, as `opa
test` mocks it). N is the source event's timestamp in ns (now, for a bare
input), and the written event's timestamp is that same instant, so the
decision is logged as made at the time its time.now_ns saw. OPA records the
builtin in nd_builtin_cache only when it was called; this script cannot see
whether it was, so it records N on every event (what replay needs either way).

Numbers. The engine's JSON envelope keeps OPA's number text (json.Number:
`1.0`, `1e3`, big integers); this script parses and writes it without going
through Python floats, so input and result carry the bytes OPA would log.
Strings are written as UTF-8 without Go's HTML escaping of <, >, & (same
JSON value).

Limits of the binding (see opa_reference.py): builtin errors are strict (an
OPA server would make the expression undefined); a decision whose evaluation
raises is reported as ERROR and not written.
"""

import argparse
import ctypes
import datetime as dt
import glob
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import opa_reference  # noqa: E402  (loads .opa-ref or exits with a hint)
from opa_reference import Bundle, OpaError, ref_string  # noqa: E402

OPA_VERSION = "1.20.2"  # the version scripts/opa_reference_setup.sh fetches

# ---------------------------------------------------------------------------
# JSON that keeps number text
# ---------------------------------------------------------------------------


class Num(str):
    """A JSON number kept as its source text."""


def loads(text):
    return json.loads(text, parse_int=Num, parse_float=Num, parse_constant=Num)


def dumps(v):
    if isinstance(v, Num):
        return str(v)
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, int):  # values this script computes
        return str(v)
    if isinstance(v, dict):
        return "{" + ",".join(dumps(k) + ":" + dumps(x) for k, x in v.items()) + "}"
    if isinstance(v, (list, tuple)):
        return "[" + ",".join(dumps(x) for x in v) + "]"
    raise TypeError(f"cannot write {type(v).__name__}")


def eval_raw(engine, query, input_value):
    """Evaluate through the native call and parse its envelope keeping number
    text. Returns the result set (list of {"bindings", "expressions"})."""
    handle = engine._handle
    raw_input = b"" if input_value is None else dumps(input_value).encode("utf-8")
    with engine._eval_lock:
        ptr = engine._lib.OpaEvalQuery(handle, query.encode("utf-8"), raw_input, 0, 0)
        if not ptr:
            raise OpaError("internal", "native call returned NULL")
        try:
            raw = ctypes.string_at(ptr)
        finally:
            engine._lib.OpaFreeString(ptr)
    env = loads(raw.decode("utf-8"))
    if env.get("error") is not None:
        err = env["error"]
        raise OpaError(err.get("code", "unknown"), err.get("message", ""))
    return env.get("result") or []


# ---------------------------------------------------------------------------
# Time
# ---------------------------------------------------------------------------

RFC3339_RE = re.compile(
    r"^(\d{4})-(\d\d)-(\d\d)[Tt ](\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?"
    r"(?:([Zz])|([+-])(\d\d):(\d\d))$"
)


def rfc3339_to_ns(s):
    m = RFC3339_RE.match(s)
    if not m:
        raise ValueError(f"not an RFC 3339 timestamp: {s!r}")
    y, mo, d, h, mi, sec = (int(m.group(i)) for i in range(1, 7))
    frac = int((m.group(7) or "").ljust(9, "0") or 0)
    offset = 0
    if m.group(9):
        offset = (int(m.group(10)) * 60 + int(m.group(11))) * 60
        if m.group(9) == "-":
            offset = -offset
    epoch = dt.datetime(y, mo, d, h, mi, sec, tzinfo=dt.timezone.utc).timestamp()
    return (int(epoch) - offset) * 1_000_000_000 + frac


def ns_to_rfc3339(ns):
    """Go's time.RFC3339Nano in UTC: trailing zeros of the fraction dropped."""
    secs, frac = divmod(ns, 1_000_000_000)
    base = dt.datetime.fromtimestamp(secs, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    f = f"{frac:09d}".rstrip("0")
    return base + ("." + f if f else "") + "Z"


# ---------------------------------------------------------------------------
# Writing OPA's decision log
# ---------------------------------------------------------------------------


def path_query(path):
    parts = [p for p in path.strip("/").split("/") if p]
    return ref_string(parts)


class Writer:
    """Evaluates decisions for one bundle directory with a fresh engine."""

    def __init__(self, version_dir, name=None, revision=None):
        version_dir = os.path.normpath(version_dir)
        self.dir = version_dir
        self.name = name or os.path.basename(os.path.dirname(os.path.abspath(version_dir)))
        self.revision = revision or os.path.basename(os.path.abspath(version_dir))
        self.bundle = Bundle([version_dir])
        if self.bundle.load_errors:
            raise SystemExit("; ".join(self.bundle.load_errors))
        self.engine = self.bundle.engine()
        # http.send answered from a source event's recorded responses (see
        # `event`): the key is the call's argument array as json.marshal
        # writes it, which is how OPA keys nd_builtin_cache.
        self.engine.add_policy(
            "gavel_recorded_http.rego",
            "package gavel_recorded_http\n"
            "send(req) := data.gavel_recorded_http_answers[json.marshal([req])]\n",
        )
        self.instance_id = str(uuid.uuid4())  # one OPA instance per bundle

    def default_path(self):
        eps = opa_reference.entrypoints(self.bundle.modules)
        return eps[0] if len(eps) == 1 else None

    def event(self, path, input_value, now_ns, http_answers=None):
        """One decision-log event, or raises OpaError. `http_answers`: the
        http.send responses the service gave ({args-json: response}, as a
        source event's nd_builtin_cache holds them); http.send answers from
        them and the event records them."""
        query = f"x := {path_query(path)} with time.now_ns as {now_ns}"
        if http_answers:
            query += (
                " with http.send as data.gavel_recorded_http.send"
                f" with data.gavel_recorded_http_answers as {dumps(http_answers)}"
            )
        t0 = time.perf_counter_ns()
        rs = eval_raw(self.engine, query, input_value)
        elapsed = time.perf_counter_ns() - t0
        ev = {
            "bundles": {self.name: {"revision": self.revision}},
            "decision_id": str(uuid.uuid4()),
            "input": input_value,
            "labels": {"id": self.instance_id, "version": OPA_VERSION},
            "metrics": {"timer_rego_query_eval_ns": elapsed},
            "nd_builtin_cache": {"time.now_ns": {"[]": now_ns}},
            "path": path.strip("/"),
        }
        if http_answers:
            ev["nd_builtin_cache"]["http.send"] = http_answers
        if len(rs) > 1:
            raise OpaError("multiple_results", f"{len(rs)} results for {query}")
        if rs and "x" in (rs[0].get("bindings") or {}):
            ev["result"] = rs[0]["bindings"]["x"]
        ev["timestamp"] = ns_to_rfc3339(now_ns)
        if input_value is None:
            del ev["input"]
        return ev


def write_log(writer, items, out):
    """items: (path, input, now_ns, source label[, http answers]). Writes
    JSONL events to the open file `out`; returns (written events, [(label,
    error)])."""
    written, errors = [], []
    for path, input_value, now_ns, label, *http in items:
        try:
            ev = writer.event(path, input_value, now_ns, http[0] if http else None)
        except OpaError as e:
            errors.append((label, f"{e.code}: {e.message}"))
            continue
        out.write(dumps(ev) + "\n")
        written.append(ev)
    return written, errors


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                yield n, loads(line)


def event_revision(ev, name):
    b = ev.get("bundles") or {}
    return (b.get(name) or {}).get("revision")


# ---------------------------------------------------------------------------
# Modes
# ---------------------------------------------------------------------------


def cmd_write(args):
    w = Writer(args.version_dir, args.name, args.revision)
    default_path = args.path or w.default_path()
    items = []
    for n, obj in read_jsonl(args.inputs):
        if isinstance(obj, dict) and "input" in obj:
            path = args.path or obj.get("path") or default_path
            ts = obj.get("timestamp")
            now = rfc3339_to_ns(ts) if ts else time.time_ns()
            value = obj["input"]
            http = (obj.get("nd_builtin_cache") or {}).get("http.send")
            if http:
                items.append((path, value, now, f"{args.inputs}:{n}", http))
                continue
        else:
            path, value, now = default_path, obj, time.time_ns()
        if not path:
            sys.exit(f"{args.inputs}:{n}: no path: pass --path")
        items.append((path, value, now, f"{args.inputs}:{n}"))
    with open(args.out, "w", encoding="utf-8") as out:
        written, errors = write_log(w, items, out)
    for label, err in errors:
        print(f"ERROR {label}: {err}", file=sys.stderr)
    print(f"wrote {len(written)} events to {args.out}; {len(errors)} errors")
    return 1 if errors else 0


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


def run(cmd, check=True):
    print("$ " + " ".join(os.path.relpath(c, ROOT) if c.startswith(ROOT + "/") else c for c in cmd))
    p = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if check and p.returncode != 0:
        sys.stdout.write(p.stdout)
        sys.stderr.write(p.stderr)
        sys.exit(f"failed (exit {p.returncode}): {' '.join(cmd)}")
    return p


def cmd_round_trip(args):
    gavel = find_gavel(args.gavel)
    tmp = tempfile.mkdtemp(prefix="gavel-opa-log-")
    db = args.db or os.path.join(tmp, "gavel.db")
    if os.path.exists(db):
        sys.exit(f"{db} exists: the round trip needs a fresh store")
    log = args.out or os.path.join(tmp, "opa-decisions.jsonl")

    version_dirs = sorted(glob.glob(os.path.join(ROOT, "sample-policies/*/*/")))
    version_dirs = [d for d in version_dirs if glob.glob(os.path.join(d, "**/*.rego"), recursive=True)]
    per_version = {}  # "name@rev" -> [decision ids]
    errors = []
    skipped = 0
    t0 = time.time()
    with open(log, "w", encoding="utf-8") as out:
        for vdir in version_dirs:
            w = Writer(vdir)
            src = os.path.join(ROOT, "sample-decisions", f"{w.name}.jsonl")
            if not os.path.exists(src):
                continue
            items = []
            for n, ev in read_jsonl(src):
                if event_revision(ev, w.name) != w.revision:
                    continue
                item = (ev["path"], ev.get("input"), rfc3339_to_ns(ev["timestamp"]),
                        f"sample-decisions/{w.name}.jsonl:{n}")
                # The service's http.send answers, as `write` passes them.
                http = (ev.get("nd_builtin_cache") or {}).get("http.send")
                items.append(item + (http,) if http else item)
            written, errs = write_log(w, items, out)
            errors += errs
            per_version[f"{w.name}@{w.revision}"] = [e["decision_id"] for e in written]
            w.engine.close()
    total = sum(len(v) for v in per_version.values())
    print(f"OPA {OPA_VERSION} wrote {total} decisions for {len(per_version)} versions "
          f"to {log} in {time.time() - t0:.1f} s")
    for label, err in errors:
        print(f"ERROR (reference engine) {label}: {err}")

    g = [gavel, "--db", db]
    p = run(g + ["import"] + [os.path.relpath(d, ROOT) + "/" for d in version_dirs])
    p = run(g + ["decisions", "import", log], check=False)
    print("  " + (p.stdout.strip() or p.stderr.strip()))
    import_ok = p.returncode == 0
    if not import_ok:
        sys.stderr.write(p.stderr)

    p = run(g + ["--format", "json", "replay", "--all"], check=False)
    try:
        rep = json.loads(p.stdout)
    except json.JSONDecodeError:
        sys.stderr.write(p.stdout + p.stderr)
        sys.exit(f"replay --all: no JSON (exit {p.returncode})")
    print(f"  replayed {rep.get('replayed')}: "
          + "  ".join(f"{k} {v}" for k, v in sorted(rep.get("verdicts", {}).items())))

    # Per version: the same replay filtered, for the counts.
    bad_ids = []
    print(f"{'VERSION':28} {'LOGGED':>6}  VERDICTS")
    for key in sorted(per_version):
        p = run(g + ["--format", "json", "replay", "--all", "--version", key], check=False)
        r = json.loads(p.stdout)
        verdicts = r.get("verdicts", {})
        print(f"{key:28} {len(per_version[key]):>6}  "
              + ("  ".join(f"{k} {v}" for k, v in sorted(verdicts.items()))
                 or "(no sample decisions of this version)"))
        nondet = sum(v for k, v in verdicts.items() if k != "DETERMINISTIC")
        if nondet:
            sample = list(r.get("changed_sample") or []) + list(r.get("error_sample") or [])
            # Entries are ids, [id, reason] pairs (error_sample) or objects.
            sample = [s if isinstance(s, str)
                      else s[0] if isinstance(s, list) and s
                      else s.get("decision_id", str(s)) if isinstance(s, dict)
                      else str(s) for s in sample]
            if len(sample) < nondet:  # sample capped: replay each one
                sample = []
                for did in per_version[key]:
                    q = subprocess.run(g + ["--format", "json", "replay", did],
                                       capture_output=True, text=True, cwd=ROOT)
                    try:
                        if json.loads(q.stdout).get("verdict") != "DETERMINISTIC":
                            sample.append(did)
                    except json.JSONDecodeError:
                        sample.append(did)
            bad_ids += sample

    for did in bad_ids:
        p = subprocess.run(g + ["replay", did], capture_output=True, text=True, cwd=ROOT)
        print(f"--- NOT DETERMINISTIC: gavel replay {did}")
        print(p.stdout.rstrip())
        if p.stderr.strip():
            print(p.stderr.rstrip())

    p = run(g + ["verify"], check=False)
    print("  " + (p.stdout.strip() or p.stderr.strip()))
    verify_ok = p.returncode == 0

    det = rep.get("verdicts", {}).get("DETERMINISTIC", 0)
    ok = (import_ok and verify_ok and not errors and rep.get("replayed") == total
          and det == total and total > 0)
    print(("PASS" if ok else "FAIL")
          + f": {det}/{total} DETERMINISTIC, {len(errors)} reference errors, "
          f"verify {'ok' if verify_ok else 'FAILED'}; store {db}, log {log}")
    return 0 if ok else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("round-trip")
    r.add_argument("--db", help="fresh store to create (default: a temp file)")
    r.add_argument("--gavel", help="gavel binary (default: $GAVEL, target/*/gavel)")
    r.add_argument("--out", help="where to write OPA's log (default: a temp file)")
    w = sub.add_parser("write")
    w.add_argument("version_dir")
    w.add_argument("--inputs", required=True)
    w.add_argument("--out", required=True)
    w.add_argument("--path", help="decision path, e.g. gfr/procurement/decision")
    w.add_argument("--name", help="bundle name (default: VERSION_DIR's parent)")
    w.add_argument("--revision", help="bundle revision (default: VERSION_DIR's name)")
    args = ap.parse_args()
    return cmd_round_trip(args) if args.cmd == "round-trip" else cmd_write(args)


if __name__ == "__main__":
    sys.exit(main())
