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
# Unless a real Google client is configured, use the local emulator and its demo client.
if [ -z "${GOOGLE_CLIENT_ID:-}" ]; then
  export GOOGLE_EMULATOR_URL="${GOOGLE_EMULATOR_URL:-http://127.0.0.1:$EMULATOR_PORT}"
  export GOOGLE_CLIENT_ID=coordinoter-demo.apps.googleusercontent.com
  export GOOGLE_CLIENT_SECRET=coordinoter-demo-secret
  export RUN_EMULATOR=1
fi
flask db upgrade
echo "Coordinoter: http://localhost:$PORTAL_PORT   (Google emulator: ${GOOGLE_EMULATOR_URL:-off})"
exec honcho -f Procfile.dev start $( [ -n "${RUN_EMULATOR:-}" ] || echo "web worker clock" )
