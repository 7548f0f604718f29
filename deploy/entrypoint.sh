#!/bin/sh
# SEN Portal container entry point.
#
# With MIGRATE_ON_START=1 (docker-compose.yml sets it on the web service only) the database is
# migrated before the command starts, so a new release brings its schema with it. Worker and beat
# leave it unset and start after web is healthy. With several web replicas, set it on none of
# them and run `python manage.py migrate --noinput` once as a release step instead.
set -eu

if [ "${MIGRATE_ON_START:-0}" = "1" ]; then
    echo "entrypoint: applying database migrations" >&2
    python manage.py migrate --noinput
fi

exec "$@"
