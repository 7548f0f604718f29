#!/usr/bin/env bash
# Validate docker-compose.yml offline (no Docker engine needed).
#
#   .ci/validate-compose.sh [FILE]        default FILE: docker-compose.yml next to .ci/
#
# Runs every validator available and fails if any rejects the file, or if none is available:
#   1. docker-compose v1 (`config -q`): parses, merges anchors, interpolates variables and checks
#      the result against its schema. The required secrets get dummy values; a local .env is
#      ignored so the result does not depend on the machine.
#   2. check-jsonschema with the Compose Spec schema: the current specification, which v1 (end
#      of life) does not know. Schema only: no interpolation.
# `docker compose` v2, when installed, is run too.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
file="$(realpath "${1:-$here/docker-compose.yml}")"
[[ -f "$file" ]] || { echo "validate-compose: no such file: $file" >&2; exit 2; }

# Dummy values for the variables docker-compose.yml requires with ${VAR:?message}.
export SECRET_KEY="compose-validation-dummy-secret"
export POSTGRES_PASSWORD="compose-validation-dummy-password"

# An empty env file, so a developer's .env cannot change the result.
empty_env="$(mktemp)"
trap 'rm -f "$empty_env"' EXIT

ran=0
failed=0

run() {
    local name="$1"; shift
    ran=$((ran + 1))
    if "$@"; then
        echo "validate-compose: $name: ok"
    else
        echo "validate-compose: $name: REJECTED $file" >&2
        failed=$((failed + 1))
    fi
}

if command -v docker-compose >/dev/null 2>&1; then
    run "docker-compose $(docker-compose version --short 2>/dev/null || echo v1)" \
        docker-compose --env-file "$empty_env" --project-directory "$(dirname "$file")" -f "$file" config -q
fi

if command -v docker >/dev/null 2>&1 && docker compose version >/dev/null 2>&1; then
    run "docker compose (v2)" \
        docker compose --env-file "$empty_env" --project-directory "$(dirname "$file")" -f "$file" config -q
fi

checker=""
if [[ -x "$here/.venv/bin/check-jsonschema" ]]; then
    checker="$here/.venv/bin/check-jsonschema"
elif command -v check-jsonschema >/dev/null 2>&1; then
    checker="$(command -v check-jsonschema)"
fi
if [[ -n "$checker" ]]; then
    run "check-jsonschema (vendor.compose-spec)" \
        "$checker" --builtin-schema vendor.compose-spec "$file"
fi

if [[ $ran -eq 0 ]]; then
    echo "validate-compose: no validator found: install docker-compose, or pip install check-jsonschema" >&2
    exit 2
fi
if [[ $failed -gt 0 ]]; then
    echo "validate-compose: $failed of $ran validators rejected $file" >&2
    exit 1
fi
echo "validate-compose: $file passed $ran validator(s)"
