"""pytest plugin (``-p senportal.testenv``): the environment tests run in.

Loaded before Django reads its settings. Tests run with DEBUG off, like production, so the
settings need a secret key, a host list, a database and a broker; TLS redirects are off because
the test client speaks plain HTTP. DATABASE_URL and CELERY_BROKER_URL are kept as the caller set
them (PostgreSQL and Redis in CI's main run); unset, they name the embedded default that
``make run`` uses (a SQLite file under var/, whose test database pytest-django keeps in memory,
and the filesystem broker), chosen here explicitly because production settings refuse to guess.
"""

import os
from pathlib import Path

_VAR_DIR = Path(os.environ.get("VAR_DIR") or Path(__file__).resolve().parent.parent / "var")

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-used-anywhere-else-0123456789")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{_VAR_DIR / 'senportal.sqlite3'}")
os.environ.setdefault("CELERY_BROKER_URL", "filesystem://")
os.environ["DEBUG"] = os.environ.get("TEST_DEBUG", "0")
# Documents: no virus scanner in most tests, so "not scanned" files may be downloaded (the
# development setting); the tests of scanning turn it on themselves (tests/core/test_documents*.py).
os.environ.setdefault("DOCUMENTS_REQUIRE_SCAN", "0")
# Playwright's sync API runs an event loop in the test thread; the ORM calls in the same
# test are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
