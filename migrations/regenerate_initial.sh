#!/usr/bin/env bash
# Pre-release only: rebuild 0001_initial_schema.py from the models, so the first
# migration keeps creating every table. Once a release has shipped, add new revisions
# with `flask db migrate` instead.
set -euo pipefail
cd "$(dirname "$0")/.."
FLASK="${FLASK:-.venv/bin/flask}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
rm -f migrations/versions/0001_initial_schema.py
CLIENTELE_INSTANCE="$tmp" DATABASE_URL="sqlite:///$tmp/empty.db" REDIS_URL="redis://127.0.0.1:1/0" \
  "$FLASK" --app wsgi db migrate -m "initial schema" --rev-id 0001 >/dev/null 2>&1
mv migrations/versions/0001_initial_schema.py "$tmp/m.py" 2>/dev/null || mv migrations/versions/0001_*.py "$tmp/m.py"
mv "$tmp/m.py" migrations/versions/0001_initial_schema.py
echo "regenerated migrations/versions/0001_initial_schema.py"
