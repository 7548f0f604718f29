"""Settings from the environment: fail fast in production, pass `check --deploy`."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.config import ConfigError, env_bool, parse_database_url

ROOT = Path(__file__).resolve().parents[2]

# In the representative set CI runs on the embedded default (SQLite, filesystem broker) too.
pytestmark = pytest.mark.embedded


PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "x" * 60,
    "ALLOWED_HOSTS": "sen.example.org",
    "DATABASE_URL": "postgres://senportal@db.example:5432/senportal",
    "CELERY_BROKER_URL": "redis://broker.example:6379/0",
}


def _manage(*args: str, env: dict[str, str], unset: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    """``manage.py`` in a fresh process with only ``env`` deciding the settings under test."""
    dropped = {"SECRET_KEY", "ALLOWED_HOSTS", "DEBUG", "SECURE_SSL_REDIRECT", "DJANGO_ALLOW_ASYNC_UNSAFE", *unset}
    base = {k: v for k, v in os.environ.items() if k not in dropped}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**base, **env}, capture_output=True, text=True, timeout=120
    )


def test_missing_secret_key_stops_start_up_with_one_line():
    result = _manage("check", env={"DEBUG": "0", "ALLOWED_HOSTS": "example.org"})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "SECRET_KEY" in lines[0]


def test_missing_allowed_hosts_stops_start_up_with_one_line():
    result = _manage("check", env={"DEBUG": "0", "SECRET_KEY": "x" * 60})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "ALLOWED_HOSTS" in lines[0]


@pytest.mark.parametrize("variable", ["DATABASE_URL", "CELERY_BROKER_URL"])
def test_production_without_its_database_or_broker_stops_start_up_with_one_line(variable):
    """DEBUG off never falls back to the embedded SQLite file or folder broker (ADR 0002)."""
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != variable}
    result = _manage("check", env=env, unset=(variable, "CELERY_RESULT_BACKEND", "REPORTING_DATABASE_URL"))
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("SEN Portal configuration error: ") and f"{variable} is not set" in lines[0]


def test_development_without_database_or_broker_uses_the_embedded_default():
    show = "from django.conf import settings as s; print(s.DATABASES['default']['ENGINE'], s.CELERY_BROKER_URL)"
    result = _manage(
        "shell",
        "--no-imports",
        "-c",
        show,
        env={"DEBUG": "1"},
        unset=("DATABASE_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND"),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.sqlite3", "filesystem://"]


def test_production_settings_pass_check_deploy_with_no_warnings():
    secret = "k3y-" + "aZ9!q" * 12  # long and varied, like a real generated key
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        # Production scans uploads (DOCUMENTS_REQUIRE_SCAN): a scanner is part of its settings.
        env={"DEBUG": "0", "SECRET_KEY": secret, "ALLOWED_HOSTS": "sen.example.org", "CLAMAV_HOST": "clamav.internal"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("url", "engine", "name"),
    [
        ("postgres://u:p@db.example:5433/sen", "django.db.backends.postgresql", "sen"),
        ("sqlite:////tmp/x.sqlite3", "django.db.backends.sqlite3", "/tmp/x.sqlite3"),
        ("sqlite:///var/x.sqlite3", "django.db.backends.sqlite3", str(ROOT / "var/x.sqlite3")),
    ],
)
def test_database_url_parsing(url, engine, name):
    parsed = parse_database_url(url, base_dir=ROOT)
    assert parsed["ENGINE"] == engine
    assert parsed["NAME"] == name


def test_database_url_with_unknown_scheme_is_refused():
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        parse_database_url("mysql://x/y", base_dir=ROOT)


def test_boolean_env_refuses_nonsense(monkeypatch):
    monkeypatch.setenv("SOME_FLAG", "perhaps")
    with pytest.raises(ConfigError, match="SOME_FLAG"):
        env_bool("SOME_FLAG")


# --- Issue 14: the development switch for MFA is refused in production ----------------------


def test_production_refuses_to_start_with_mfa_turned_off():
    result = _manage("check", env={**PRODUCTION_ENV, "SENPORTAL_DEV_SKIP_MFA": "1"})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "SENPORTAL_DEV_SKIP_MFA" in result.stderr


def test_development_may_turn_mfa_off_for_the_demo():
    env = {"DEBUG": "1", "SENPORTAL_DEV_SKIP_MFA": "1"}
    result = _manage("shell", "-c", "from django.conf import settings; print(settings.SENPORTAL_DEV_SKIP_MFA)", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("True")
