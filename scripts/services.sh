#!/usr/bin/env bash
# Make sure the services the portal needs answer on loopback: use them when running,
# start them when installed but stopped, install them with apt-get when we are root,
# otherwise stop with a one-line instruction.  Usage: scripts/services.sh redis [postgresql]
set -euo pipefail

say() { printf '%s\n' "$*" >&2; }

apt_install() {
  if [ "$(id -u)" != 0 ]; then
    say "error: $1 is not installed. Install it (Debian: sudo apt-get install -y $2) and run again."
    exit 1
  fi
  say "installing $2 with apt-get ..."
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
}

redis_up() { (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null && [ "$(redis-cli -h 127.0.0.1 ping 2>/dev/null)" = PONG ]; }

ensure_redis() {
  redis_up && return 0
  command -v redis-server >/dev/null || apt_install Redis redis-server
  say "starting Redis on 127.0.0.1:6379 ..."
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
  for _ in $(seq 50); do redis_up && return 0; sleep 0.1; done
  say "error: Redis did not start on 127.0.0.1:6379."
  exit 1
}

pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }

ensure_postgresql() {
  if ! command -v pg_isready >/dev/null || ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    apt_install PostgreSQL postgresql
  fi
  if ! pg_up; then
    say "starting PostgreSQL ..."
    if [ "$(id -u)" = 0 ]; then
      pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n 1)" main start
    else
      say "error: PostgreSQL is stopped. Start it (sudo pg_ctlcluster <version> main start) and run again."
      exit 1
    fi
    for _ in $(seq 100); do pg_up && break; sleep 0.1; done
  fi
  pg_up || { say "error: PostgreSQL does not answer on 127.0.0.1:5432."; exit 1; }
  # The suite connects as postgres/postgres over TCP to the `test` database (trust auth also works).
  export PGPASSWORD=postgres
  if ! psql -h 127.0.0.1 -U postgres -d test -tAc 'select 1' >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then
      su postgres -c "psql -qtAc \"ALTER USER postgres PASSWORD 'postgres'\"" >/dev/null 2>&1 || true
      su postgres -c "createdb test" >/dev/null 2>&1 || true
    fi
    psql -h 127.0.0.1 -U postgres -d test -tAc 'select 1' >/dev/null 2>&1 || {
      say "error: cannot log in as postgres to database test on 127.0.0.1 (set TEST_PG_ADMIN_URL to a URL that works)."
      exit 1
    }
  fi
}

for service in "$@"; do
  case "$service" in
    redis) ensure_redis ;;
    postgresql) ensure_postgresql ;;
    *) say "unknown service: $service"; exit 2 ;;
  esac
done
