"""pytest plugin (``-p senportal.testenv``): the environment tests run in.

Loaded before Django reads its settings. Tests run with DEBUG off, like production, so the
settings need a secret key and host list; TLS redirects are off because the test client
speaks plain HTTP. DATABASE_URL and CELERY_BROKER_URL are left as the caller set them
(PostgreSQL and Redis in CI, SQLite and the filesystem broker otherwise).
"""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-used-anywhere-else-0123456789")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ["DEBUG"] = os.environ.get("TEST_DEBUG", "0")
# Playwright's sync API runs an event loop in the test thread; the ORM calls in the same
# test are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
