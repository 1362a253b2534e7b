#!/usr/bin/env bash
# Repeated code (make lint): pylint's duplicate-code check over the sources and
# tests, migrations left out (frozen copies by policy). Prints every repeated
# block and fails when there is one.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files --cached --others --exclude-standard "*.py" | grep -v "/migrations/" )
exec ${UV:-uv} run pylint --disable=all --enable=duplicate-code --min-similarity-lines=4 \
  --ignore-imports=y --ignore-signatures=y --ignore-docstrings=y --ignore-comments=y \
  --score=n "${files[@]}"
