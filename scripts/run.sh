#!/usr/bin/env bash
# `make run`: migrate, then run the portal, the Google emulator, a worker and the scheduler
# together (honcho reads Procfile.dev). Ctrl-C stops them all.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
export FLASK_APP=wsgi
export COORDINOTER_ENV="${COORDINOTER_ENV:-development}"
export PORTAL_PORT="${PORT:-5000}"
export EMULATOR_PORT="${EMULATOR_PORT:-8081}"
export PUBLIC_BASE_URL="${PUBLIC_BASE_URL:-http://localhost:$PORTAL_PORT}"
# A Redis database of this port's own, so two runs on one machine never share job queues.
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/$((PORTAL_PORT % 16))}"
# Honcho shows each process's lines as they come, not when Python's buffer fills.
export PYTHONUNBUFFERED=1
# Unless a real Google client is configured, use the local emulator and its demo client.
if [ -z "${GOOGLE_CLIENT_ID:-}" ]; then
  export GOOGLE_EMULATOR_URL="${GOOGLE_EMULATOR_URL:-http://127.0.0.1:$EMULATOR_PORT}"
  export GOOGLE_CLIENT_ID=coordinoter-demo.apps.googleusercontent.com
  export GOOGLE_CLIENT_SECRET=coordinoter-demo-secret
  export RUN_EMULATOR=1
fi
# Unless a real SMTP server is configured, mail goes to the local one (devmail/), read on its page.
if [ -z "${SMTP_URL:-}" ]; then
  export MAIL_PORT="${MAIL_PORT:-8025}" MAIL_WEB_PORT="${MAIL_WEB_PORT:-8026}"
  export SMTP_URL="smtp://127.0.0.1:$MAIL_PORT"
  export MAIL_PAGE_URL="http://127.0.0.1:$MAIL_WEB_PORT"
fi
if ! migrated=$(flask db upgrade 2>&1); then
  printf '%s\n' "$migrated" >&2
  exit 1
fi
applied=$(grep -c 'Running upgrade' <<<"$migrated" || true)
echo "Database: ${DATABASE_URL:-instance/coordinoter.sqlite3} ($applied migrations applied now); Redis: $REDIS_URL"
echo "Starting the portal on $PUBLIC_BASE_URL${RUN_EMULATOR:+, the Google emulator on $GOOGLE_EMULATOR_URL}${MAIL_PAGE_URL:+, local mail on $MAIL_PAGE_URL}, a worker and the clock ..."
python scripts/ready.py "$PUBLIC_BASE_URL" "$REDIS_URL" "${RQ_QUEUE:-coordinoter}" ${RUN_EMULATOR:+"$GOOGLE_EMULATOR_URL"} &
exec honcho -f Procfile.dev start web worker clock ${RUN_EMULATOR:+emulator} ${MAIL_PAGE_URL:+mail}
