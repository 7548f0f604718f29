#!/usr/bin/env bash
# Start PostgreSQL and Redis on this machine when they are not already running (Debian 12,
# as root, no systemd), installing them first if missing. Idempotent: a second run is a no-op.
# Creates the role and database the test suite uses (CREATEDB: pytest-django makes test_*).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
PGPORT=${PGPORT:-5432}
REDIS_PORT=${REDIS_PORT:-6379}
DB_USER=${DB_USER:-senportal}
DB_NAME=${DB_NAME:-senportal}

need=()
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || need+=(postgresql)
command -v redis-server >/dev/null || need+=(redis-server)
if [ ${#need[@]} -gt 0 ]; then
  echo "services: installing ${need[*]}"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

if ! pg_isready -q -h 127.0.0.1 -p "$PGPORT"; then
  PGVER=$(ls /usr/lib/postgresql | sort -V | tail -1)
  [ -d "/etc/postgresql/$PGVER/main" ] || pg_createcluster "$PGVER" main --port "$PGPORT"
  echo "services: starting PostgreSQL $PGVER"
  pg_ctlcluster --skip-systemctl-redirect "$PGVER" main start || true  # rc 2 = already running
  for _ in $(seq 100); do pg_isready -q -h 127.0.0.1 -p "$PGPORT" && break; sleep 0.1; done
fi
pg_isready -h 127.0.0.1 -p "$PGPORT"

runuser -u postgres -- psql -p "$PGPORT" -q -v ON_ERROR_STOP=1 -c "DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$DB_USER') THEN
    CREATE ROLE $DB_USER LOGIN CREATEDB PASSWORD '$DB_USER'; END IF; END \$\$;"
runuser -u postgres -- psql -p "$PGPORT" -tAc "SELECT 1 FROM pg_database WHERE datname='$DB_NAME'" | grep -q 1 \
  || runuser -u postgres -- createdb -p "$PGPORT" -O "$DB_USER" "$DB_NAME"

if ! redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; then
  echo "services: starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no \
    --dir /tmp --logfile /tmp/redis-ci.log --pidfile /tmp/redis-ci.pid
  for _ in $(seq 100); do redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG && break; sleep 0.1; done
fi
redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping
