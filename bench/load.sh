#!/usr/bin/env bash
# Load test: the county data set in its own database, gunicorn on 127.0.0.1 (DEBUG off, 3
# workers), locust headless for a bounded time, then gunicorn stopped and the figures printed.
# Traffic goes to 127.0.0.1 only.
#
#   bash bench/load.sh                 # 40 users for 2 minutes
#   USERS=10 DURATION=30s bash bench/load.sh
#   RESEED=1 bash bench/load.sh        # reload the county data first
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PY=.venv/bin/python
LOCUST=.venv/bin/locust
PORT=${PORT:-8765}
USERS=${USERS:-40}
SPAWN_RATE=${SPAWN_RATE:-10}
DURATION=${DURATION:-2m}
COUNTY_DATABASE_URL=${COUNTY_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/senportal_county}
OUT=bench/out
mkdir -p "$OUT" var

[ -x "$LOCUST" ] || { echo "locust is missing: run make bench-venv (requirements-bench.lock pins it)"; exit 1; }

export DATABASE_URL=$COUNTY_DATABASE_URL
# DEBUG is off, so the broker is named; no worker runs here (tasks wait in the folder broker).
export CELERY_BROKER_URL=${CELERY_BROKER_URL:-filesystem://}
export DEBUG=0 SECRET_KEY=load-test-only-not-a-secret ALLOWED_HOSTS=127.0.0.1 SECURE_SSL_REDIRECT=0
export STATIC_ROOT="$PWD/var/load-static" LOG_LEVEL=WARNING
unset REPORTING_DATABASE_URL

echo "==> county database"
$PY - <<'PY'
import os
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "senportal.settings")
django.setup()
from demo.bench import ensure_database
if ensure_database(os.environ["DATABASE_URL"]):
    print("created", os.environ["DATABASE_URL"].rsplit("/", 1)[-1])
PY
$PY manage.py migrate --noinput >/dev/null
if [ "${RESEED:-0}" = 1 ]; then
  $PY manage.py seed_national --scale county --reset
else
  $PY manage.py seed_national --scale county --if-empty
fi
# The dashboard reads stored snapshots: compute the ten years and today's backlog.
first=$($PY -c 'from datetime import date; t = date.today(); print(f"{t.year - 10}-{t.month:02d}")')
last=$($PY -c 'from datetime import date; t = date.today(); y, m = (t.year, t.month - 1) if t.month > 1 else (t.year - 1, 12); print(f"{y}-{m:02d}")')
have=$($PY manage.py shell -c "from reporting.models import MonthlyMetric; print(MonthlyMetric.objects.filter(month='$last-01').exists())" 2>/dev/null | tail -1)
if [ "$have" != "True" ] || [ "${RESEED:-0}" = 1 ]; then
  $PY manage.py compute_metrics --from "$first" --to "$last" --backlog | tail -2
fi
$PY manage.py collectstatic --noinput >/dev/null

echo "==> gunicorn on 127.0.0.1:$PORT (3 workers)"
.venv/bin/gunicorn senportal.wsgi:application --workers 3 --bind "127.0.0.1:$PORT" \
  --access-logfile /dev/null --error-logfile var/load-gunicorn.log &
GUNICORN=$!
trap 'kill "$GUNICORN" 2>/dev/null || true; wait "$GUNICORN" 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do
  curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done

echo "==> locust: $USERS users for $DURATION"
status=0
$LOCUST -f bench/locustfile.py --headless --host "http://127.0.0.1:$PORT" -u "$USERS" -r "$SPAWN_RATE" \
  -t "$DURATION" --csv "$OUT/load" --only-summary --stop-timeout 10 >"$OUT/load.log" 2>&1 || status=$?

kill "$GUNICORN" 2>/dev/null || true
wait "$GUNICORN" 2>/dev/null || true
trap - EXIT

echo "==> results ($OUT/load_stats.csv)"
$PY - "$OUT/load_stats.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
print(f"{'endpoint':38} {'requests':>8} {'fails':>5} {'median':>7} {'p95':>6} {'max':>6}  (ms)")
for row in rows:
    name = row["Name"] if row["Name"] != "Aggregated" else "ALL"
    print(f"{name[:38]:38} {row['Request Count']:>8} {row['Failure Count']:>5} {row['50%']:>7} {row['95%']:>6} "
          f"{float(row['Max Response Time']):>6.0f}")
total = next(r for r in rows if r["Name"] == "Aggregated")
reads = [r for r in rows if r["Name"] != "Aggregated" and "POST" not in r["Name"]]
worst = max(reads, key=lambda r: float(r["95%"]))
print(f"\nfailures: {total['Failure Count']} of {total['Request Count']}; "
      f"p95 all reads {total['95%']} ms; worst p95 {worst['95%']} ms ({worst['Name']}); "
      f"{float(total['Requests/s']):.1f} requests/s")
PY
exit $status
