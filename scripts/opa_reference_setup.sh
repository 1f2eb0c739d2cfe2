#!/usr/bin/env bash
# Fetch the reference OPA engine (OPA's Go library behind a ctypes binding) into
# .opa-ref/ at the repository root. Developer tool; tests/cli_bundle.rs evaluates
# exported bundles with it when present (.ci/run fetches it).
# The wheel is tagged for Python 3.14 but its code runs on 3.11 once unpacked.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dest="$root/.opa-ref"
if [ -f "$dest/opa_bindings/__init__.py" ]; then
  echo "reference OPA engine already in $dest"
  exit 0
fi
tmp=$(mktemp -d)
pip download --quiet --no-deps --python-version 3.14 --only-binary=:all: \
  -d "$tmp" opa-golib-python-bindings
mkdir -p "$dest"
python3 -m zipfile -e "$tmp"/opa_golib_python_bindings-*.whl "$dest"
rm -rf "$tmp"
echo "reference OPA engine unpacked into $dest"
