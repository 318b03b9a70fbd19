#!/usr/bin/env bash
# Create the virtualenv and install the project with the pinned versions of
# requirements-dev.txt (`make lock` writes it from pyproject.toml), using uv: seconds, not minutes.
# Debian's python3 lacks venv until python3-venv is installed: install it when we are root.
set -euo pipefail
python=${1:-python3}
venv=${2:-.venv}

say() { printf '%s\n' "$*" >&2; }

if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  say "error: Python 3.11 or newer is needed as '$python' (Debian: apt-get install -y python3)."
  exit 1
fi
if [ ! -x "$venv/bin/python" ]; then
  say "Creating $venv ..."
  if ! "$python" -m venv "$venv" 2>/dev/null; then
    rm -rf "$venv"
    if [ "$(id -u)" = 0 ]; then
      say "installing python3-venv with apt-get ..."
      DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
      "$python" -m venv "$venv"
    else
      say "error: python venv is missing. Install it (Debian: sudo apt-get install -y python3-venv) and run again."
      exit 1
    fi
  fi
fi
if [ ! -x "$venv/bin/uv" ]; then
  say "Installing uv into $venv ..."
  # pip's own notices (its version check, local package folders it skips) are not ours to show.
  "$venv/bin/python" -m pip install -q --disable-pip-version-check uv 2>&1 | grep -v -i '^warning' >&2 || true
fi
say "Installing the project's packages (requirements-dev.txt) ..."
# uv says what it resolved, fetched and installed; the list of every package it added is noise.
set +e
VIRTUAL_ENV="$PWD/$venv" "$venv/bin/uv" pip install -r requirements-dev.txt -e . 2>&1 | grep -v '^ [-+~] ' >&2
status=${PIPESTATUS[0]}
set -e
[ "$status" = 0 ] || { say "error: installing the packages failed (uv exit $status)."; exit "$status"; }
"$venv/bin/python" -c 'import portal, flask, rq, authlib' # fail loudly if the install did not work
