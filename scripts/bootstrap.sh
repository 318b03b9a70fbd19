#!/usr/bin/env bash
# Create the virtualenv and install the project with its dev extra.
# Debian's python3 lacks venv until python3-venv is installed: install it when we are root.
set -euo pipefail
python=${1:-python3}
venv=${2:-.venv}

if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "error: Python 3.11 or newer is needed as '$python' (Debian: apt-get install -y python3)." >&2
  exit 1
fi
if [ ! -x "$venv/bin/python" ]; then
  if ! "$python" -m venv "$venv" 2>/dev/null; then
    rm -rf "$venv"
    if [ "$(id -u)" = 0 ]; then
      DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
      "$python" -m venv "$venv"
    else
      echo "error: python venv is missing. Install it (Debian: sudo apt-get install -y python3-venv) and run again." >&2
      exit 1
    fi
  fi
fi
"$venv/bin/python" -m pip install -q --upgrade pip 2>&1 | grep -v -i warning || true
"$venv/bin/python" -m pip install -q -e '.[dev]' 2>&1 | grep -v -i warning || true
"$venv/bin/python" -c 'import portal, flask, rq, authlib' # fail loudly if the install did not work
