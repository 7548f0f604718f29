# syntax=docker/dockerfile:1
# SEN Portal production image: one image for web (gunicorn), worker and beat (Celery).
# Build:  docker build -t senportal .
# Run:    see docker-compose.yml and docs/deployment.md (configuration is all environment).
# An exact tag, never a floating one: the same Python patch release the CI machine tests on
# (3.11.7). Move it deliberately, together with CI, and rebuild.
FROM python:3.11.7-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    VAR_DIR=/app/var

# An unprivileged user with a fixed id, so volume ownership is predictable across rebuilds.
RUN groupadd --system --gid 10001 senportal \
 && useradd --system --uid 10001 --gid senportal --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin senportal

WORKDIR /app

# Dependencies first, so a code change does not reinstall them. requirements.lock pins every
# runtime package, direct and transitive, with its hashes: pip installs exactly those files and
# refuses anything else. All of them ship manylinux wheels (psycopg2-binary, argon2-cffi), so no
# compiler is needed.
COPY requirements.lock ./
RUN pip install --no-cache-dir --require-hashes -r requirements.lock

COPY . .

# Static files are collected at build time with production storage (hashed, compressed).
# The variables below exist only for this RUN line: settings refuse to load with DEBUG off and
# no SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL or CELERY_BROKER_URL. Nothing connects to the
# database or a broker; the scratch folder is removed.
RUN DEBUG=0 \
    SECRET_KEY=build-only-not-secret \
    ALLOWED_HOSTS=localhost \
    DATABASE_URL=sqlite:////tmp/build.sqlite3 \
    CELERY_BROKER_URL=filesystem:// \
    VAR_DIR=/tmp/build-var \
    python manage.py collectstatic --noinput \
 && rm -rf /tmp/build-var /tmp/build.sqlite3 \
 && python -m compileall -q -j 0 manage.py core requests_app panels placements reporting demo senportal \
 && chmod 0755 deploy/entrypoint.sh \
 && mkdir -p /app/var \
 && chown senportal:senportal /app/var

# The code stays owned by root (read-only to the app); only VAR_DIR (uploads) is writable.
USER 10001:10001

EXPOSE 8000

# /healthz answers 503 when the database is down (200 "degraded" when only the broker is).
# Django checks the Host header, so ask for the first ALLOWED_HOSTS name.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD python -c "import os, urllib.request as u; h = (os.environ.get('ALLOWED_HOSTS') or 'localhost').split(',')[0].strip().lstrip('.'); h = 'localhost' if h in ('', '*') else h; u.urlopen(u.Request('http://127.0.0.1:8000/healthz', headers={'Host': h}), timeout=4)"

# The entry point applies migrations first when MIGRATE_ON_START=1, then runs the command.
ENTRYPOINT ["/app/deploy/entrypoint.sh"]
CMD ["gunicorn", "senportal.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
