# SEN Portal. The two commands: `make run` (install, migrate, demo data, web + worker + beat)
# and `make test` (lint, migrations check, the whole pytest suite).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: run test venv chromium lint format typecheck static bench clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "SEN Portal needs Python 3.11 (Django 5.2 LTS); found " + sys.version.split()[0]' 
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@

venv: $(VENV)/.installed

## Debian's Chromium for the browser tests: installed when missing (as root), else explained.
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
	DEBUG=1 HOST=$(HOST) PORT=$(PORT) bash scripts/run-dev.sh

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
bench: venv
	DATABASE_URL=$${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/senportal_bench} \
	DEBUG=0 SECRET_KEY=benchmark-only-not-a-secret ALLOWED_HOSTS=testserver,127.0.0.1 SECURE_SSL_REDIRECT=0 \
	LOG_LEVEL=WARNING $(PY) manage.py benchmark --prepare $(BENCH_ARGS)

clean:
	rm -rf var staticfiles .pytest_cache .mypy_cache .ruff_cache
