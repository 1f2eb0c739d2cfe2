#!/usr/bin/env bash
# Extract public Rego libraries into .libraries/<name>/ (git-ignored) for
# scripts/compare_libraries.py, which runs their unit tests through Gavel and
# through the reference OPA engine and compares the verdicts.
#
# The libraries are third-party code: nothing of them is committed, and this
# script neither contains nor builds any of it. It only extracts files from
# git mirrors that were brought onto this machine beforehand with the search
# tool's `fetch` (github:<owner>/<name>), which leaves a bare git directory at
# /work/.mirror/<owner>+<name>/repo. Another location can be given per
# repository: `fetch_libraries.sh owner/name=/path/to/gitdir ...`; or set
# MIRROR_ROOT (default /work/.mirror).
#
#   scripts/fetch_libraries.sh [--head] [owner/name=GITDIR ...]
#
# Each library is extracted at the pinned commit of the table, so a re-run
# measures the same files; --head takes the mirror's HEAD instead (and prints
# the commit, to update the table). Only the table's roots are extracted.
#
# Table (one line per library, fields separated by `|`; `-` = none). It is
# also read by compare_libraries.py, so keep the format:
#   name     the folder under .libraries/
#   repo     owner/name on GitHub
#   commit   pinned commit
#   rego     v0 (run with --v0-compatible / the reference's v0 conversion) or v1
#   roots    the directories `opa test` is run on (relative to the repo);
#            data.json/data.yaml files are namespaced relative to their root
#   units    globs (relative to the repo) of the test units: a matched
#            directory is one unit (all its files); a matched *_test.rego file
#            is one unit together with its sibling X.rego if that exists.
#            REST = one more unit with every file of the roots that no other
#            unit covers
#   shared   globs of helper files (libraries, fixtures) that units may use.
#            A unit gets the shared files it needs: those whose package (or,
#            for data.json/yaml, whose data path) its files reference with a
#            static data.x.y ref or import, transitively, plus the modules of
#            its own packages. Files that define test_ rules, and files inside
#            directory units, are never shared
#   custom   builtins of the project's own OPA build (unknown to the reference
#            engine): a unit whose own files call one is skipped and counted
#            as skipped; a shared file that calls one is left out
#
# BEGIN LIBRARIES
# gatekeeper-library|open-policy-agent/gatekeeper-library|5c441fb645f257b2c428fe9aea22da24a94b5bab|v0|src|src/general/* src/pod-security-policy/* src/rego/*|-|-
# gcp-policy-library|GoogleCloudPlatform/policy-library|4a2abc741583884dd38ca3b9bf2ff5a4d205a609|v0|lib validator|validator/*_test.rego lib/*_test.rego|lib validator/test_utils.rego validator/test|-
# spacelift-policies|spacelift-io/spacelift-policies-example-library|00ef086a7bc91f149c188e85c18f4cff73178e69|v0|examples|examples/*/*_test.rego|-|sanitized
# cloudbeat-security-policies|elastic/cloudbeat|2b3db5e2945e86f121fda2dfe5c75316e80bf51b|v1|security-policies/bundle|security-policies/bundle/compliance/cis_*/rules/* REST|security-policies/bundle|-
# scubagear|cisagov/ScubaGear|4d34e9a48e38ce5c2e14c0fdfbaee53e57594ae2|v1|PowerShell/ScubaGear|PowerShell/ScubaGear/Testing/Unit/Rego/*/*_test.rego|PowerShell/ScubaGear/Rego PowerShell/ScubaGear/Testing/Unit/Rego|-
# scubagoggles|cisagov/ScubaGoggles|416a18ae2a5cd8a3a438e698f2adb781e529233a|v1|scubagoggles|scubagoggles/Testing/Unit/Rego/*/*_test.rego|scubagoggles/rego scubagoggles/Testing/Unit/Rego|-
# terraform-rego-policies|libre-devops/terraform-rego-policies|845e2279a196ffc8c07710eda92fd2d4dd181808|v1|policies|policies/azure/*/*_test.rego|policies/lib|-
# END LIBRARIES
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dest_root="$root/.libraries"
mirror_root="${MIRROR_ROOT:-/work/.mirror}"
use_head=0
declare -A given=()
for arg in "$@"; do
  case "$arg" in
    --head) use_head=1 ;;
    */*=*) given["${arg%%=*}"]="${arg#*=}" ;;
    -h|--help) sed -n '2,40p' "$0"; exit 0 ;;
    *) echo "usage: $0 [--head] [owner/name=GITDIR ...]" >&2; exit 2 ;;
  esac
done

table=$(sed -n '/^# BEGIN LIBRARIES$/,/^# END LIBRARIES$/p' "$0" | sed '1d;$d;s/^# //')
for repo in "${!given[@]}"; do
  if ! cut -d'|' -f2 <<<"$table" | grep -qxF "$repo"; then
    echo "$repo is not in the table" >&2
    exit 2
  fi
done

mkdir -p "$dest_root"
status=0
while IFS='|' read -r name repo commit rego roots _units _shared _custom; do
  gitdir="${given[$repo]:-}"
  if [ -z "$gitdir" ]; then
    for cand in "$mirror_root/${repo/\//+}/repo" "$mirror_root/${repo/\//+}"; do
      if git --git-dir="$cand" rev-parse --verify -q HEAD >/dev/null 2>&1; then
        gitdir="$cand"
        break
      fi
    done
  fi
  if [ -z "$gitdir" ]; then
    echo "$name: no mirror of $repo (fetch github:$repo with the search tool first)" >&2
    status=1
    continue
  fi
  rev="$commit"
  if [ "$use_head" = 1 ]; then
    rev=$(git --git-dir="$gitdir" rev-parse HEAD)
  elif ! git --git-dir="$gitdir" cat-file -e "$commit^{commit}" 2>/dev/null; then
    echo "$name: commit $commit is not in $gitdir (mirror HEAD is" \
      "$(git --git-dir="$gitdir" rev-parse HEAD); use --head to take it)" >&2
    status=1
    continue
  fi
  out="$dest_root/$name"
  rm -rf "$out"
  mkdir -p "$out"
  # shellcheck disable=SC2086 # roots is a space-separated list of paths
  git --git-dir="$gitdir" archive "$rev" -- $roots | tar -x -C "$out"
  printf '%s\n' "$repo" "$rev" "$rego" >"$out/.source"
  n_rego=$(find "$out" -name '*.rego' | wc -l)
  echo "$name: $repo@$rev ($rego) -> .libraries/$name ($n_rego .rego files)"
done <<<"$table"
exit "$status"
