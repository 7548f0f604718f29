# SEN Portal. The two commands: `make run` (install, migrate, demo data, web + worker + beat)
# and `make test` (lint, migrations check, the whole pytest suite).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
# The demo signs in without the second step (development only; refused with DEBUG off).
# `make run SENPORTAL_DEV_SKIP_MFA=0` to try two-step sign-in with an authenticator app.
SENPORTAL_DEV_SKIP_MFA ?= 1

.PHONY: run test venv bench-venv lock sbom chromium lint format typecheck static bench clean

# Installs exactly the locks: every package pinned with its hashes (pip refuses anything else).
# requirements*.txt name the direct dependencies; `make lock` compiles them into the locks.
$(VENV)/.installed: requirements.lock requirements-dev.lock
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "SEN Portal needs Python 3.11 (Django 5.2 LTS); found " + sys.version.split()[0]'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --require-hashes -r requirements-dev.lock
	touch $@

venv: $(VENV)/.installed

## The load-test tool (locust) for `make bench` and bench/load.sh only.
$(VENV)/.bench-installed: $(VENV)/.installed requirements-bench.lock
	$(PIP) install --quiet --require-hashes -r requirements-bench.lock
	touch $@

bench-venv: $(VENV)/.bench-installed

## Recompile the locks after editing requirements*.txt (needs the package index). Existing pins
## are kept unless a requirement changed; `make lock LOCK_ARGS=--upgrade` moves everything.
LOCK_ARGS ?=
PIP_COMPILE := $(VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
	--no-emit-index-url --no-emit-find-links --no-emit-trusted-host $(LOCK_ARGS)
lock:
	@test -x $(VENV)/bin/pip-compile || { echo "pip-compile is missing: run make venv first"; exit 1; }
	$(PIP_COMPILE) -o requirements.lock requirements.txt
	$(PIP_COMPILE) -o requirements-dev.lock requirements-dev.txt
	$(PIP_COMPILE) -o requirements-bench.lock requirements-bench.txt

## Debian's Chromium for the browser tests: installed when missing (as root), else explained.
## A CycloneDX 1.6 SBOM (JSON) of every runtime package in requirements.lock, with versions,
## purls and hashes: var/sbom.cdx.json (not committed; build it per release). Works offline.
## The vulnerability audit of the same lock (pip-audit) runs in the council's pipeline: docs/security.md.
sbom: venv
	mkdir -p var
	$(VENV)/bin/cyclonedx-py requirements --of JSON --output-reproducible -o var/sbom.cdx.json requirements.lock
	@echo "SBOM written to var/sbom.cdx.json"

chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's chromium for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; \
	  else \
	    echo "The browser tests need Debian's Chromium at /usr/bin/chromium."; \
	    echo "Install it with: sudo apt-get install -y --no-install-recommends chromium"; exit 1; \
	  fi; \
	fi

run: venv
	DEBUG=1 $(PY) manage.py migrate --noinput
	DEBUG=1 $(PY) manage.py seed_demo
	DEBUG=1 SENPORTAL_DEV_SKIP_MFA=$(SENPORTAL_DEV_SKIP_MFA) HOST=$(HOST) PORT=$(PORT) bash scripts/run-dev.sh

lint: venv
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

typecheck: venv
	DEBUG=1 $(PY) -m mypy

test: venv chromium lint typecheck
	DEBUG=1 $(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest $(PYTEST_ARGS)

format: venv
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

static:
	bash frontend/build.sh

## Benchmarks at national size (docs/benchmarks.md): creates, migrates and loads the database in
## BENCH_DATABASE_URL if needed (seed_national, about 10 minutes), then times every operation.
## DEBUG is off, so the database and the broker are named (settings refuse to guess them); no
## worker runs, so tasks queued after commit wait in the embedded folder broker under var/.
bench: bench-venv
	DATABASE_URL=$${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/senportal_bench} \
	CELERY_BROKER_URL=$${BENCH_CELERY_BROKER_URL:-filesystem://} \
	DEBUG=0 SECRET_KEY=benchmark-only-not-a-secret ALLOWED_HOSTS=testserver,127.0.0.1 SECURE_SSL_REDIRECT=0 \
	LOG_LEVEL=WARNING $(PY) manage.py benchmark --prepare $(BENCH_ARGS)

clean:
	rm -rf var staticfiles .pytest_cache .mypy_cache .ruff_cache
