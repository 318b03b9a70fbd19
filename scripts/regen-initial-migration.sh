#!/usr/bin/env bash
# Development aid while nothing has been released: rebuild the initial migration from the models.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -f migrations/versions/*_initial_schema.py /tmp/regen.sqlite3
COORDINOTER_ENV=development DATABASE_URL=sqlite:////tmp/regen.sqlite3 .venv/bin/flask --app wsgi db migrate -m "initial schema" >/dev/null 2>&1
ls migrations/versions/
