#!/usr/bin/env bash
# Development: the web server, a Celery worker and Celery beat on the embedded broker.
# Ctrl-C stops all three.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PY=.venv/bin/python
mkdir -p var
pids=()
cleanup() {
  trap - INT TERM EXIT
  echo "Stopping SEN Portal..."
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup INT TERM EXIT

$PY -m celery -A senportal worker -Q interactive,reports --concurrency=2 --loglevel=INFO \
  >var/celery-worker.log 2>&1 &
pids+=($!)
$PY -m celery -A senportal beat --loglevel=INFO --pidfile= --schedule=var/celerybeat-schedule \
  >var/celery-beat.log 2>&1 &
pids+=($!)
echo "Celery worker and beat started (logs in var/celery-worker.log and var/celery-beat.log)"
echo "SEN Portal: http://${HOST:-127.0.0.1}:${PORT:-8000}/  (demo sign-ins in README.md; Ctrl-C stops)"
$PY manage.py runserver "${HOST:-127.0.0.1}:${PORT:-8000}" &
pids+=($!)
wait -n "${pids[@]}"
