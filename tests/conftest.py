"""Shared test rails: the one way to make a user, personas (one user per role), signed-in page
and API clients, the PostgreSQL-only marker, the browser and the accessibility scan."""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test import Client

from core.roles import Role

TESTS_DIR = Path(__file__).resolve().parent
PERSONA_PASSWORD = "correct-horse-battery-staple"
_usernames = itertools.count(1)

# --- Users --------------------------------------------------------------------------------


def make_user(*roles: Role, username: str | None = None, **fields: Any) -> User:
    """THE way to make a user in tests: one holding ``roles`` (none is allowed), signing in with
    ``PERSONA_PASSWORD``. The same ``username`` gives the same user (a role asked for again is
    added), so factories can name a shared actor. ``fields`` are other User fields
    (``first_name`` defaults to the username in title case)."""
    if username is None:
        username = f"{roles[0].value if roles else 'norole'}_{next(_usernames)}"
    user = User.objects.filter(username=username).first()
    if user is None:
        fields.setdefault("first_name", username.replace("_", " ").title())
        user = User.objects.create_user(username=username, password=PERSONA_PASSWORD, **fields)
    # get_or_create: transactional tests flush the groups the migration made.
    user.groups.add(*[Group.objects.get_or_create(name=role.value)[0] for role in roles])
    if Role.ADMIN in roles:
        # A reused test database may have been left flushed by a transactional test: the admin
        # group is then made anew above, without its permissions (core/admin_permissions.py).
        from core.admin_permissions import grant_admin_permissions

        grant_admin_permissions()
    if Role.ADMIN in roles and not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    return user


_api_tokens: dict[int, str] = {}


def api_token_for(user: User) -> str:
    """An API token for ``user`` (django-rest-knox), one per user per test."""
    from knox.models import AuthToken

    token = _api_tokens.get(user.pk)
    if token is None or not AuthToken.objects.filter(user=user, token_key=token[:15]).exists():
        _, token = AuthToken.objects.create(user=user)
        _api_tokens[user.pk] = token
    return token


@pytest.fixture(autouse=True)
def _mfa_off_unless_asked(settings: Any) -> None:
    """Tests sign in with ``force_login`` (the password step only). Like the demo, they run with
    the development switch that turns the second step off; tests of MFA itself set
    ``settings.SENPORTAL_DEV_SKIP_MFA = False``. (Settings refuse the switch from the
    environment with DEBUG off; this sets it after start-up, for tests only.)"""
    settings.SENPORTAL_DEV_SKIP_MFA = True


def signed_in(user: User) -> Client:
    """A page client (Django's test client) signed in as ``user``."""
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def page_client_for(db: None) -> Callable[[User], Client]:
    """A page client signed in as the given user (``signed_in`` as a fixture)."""
    return signed_in


# --- The test database ----------------------------------------------------------------------


def _sqlite_template(template: str | None) -> bool:
    return bool(template) and Path(str(template)).is_file()


@pytest.fixture(scope="session")
def django_db_keepdb(django_db_keepdb: bool) -> bool:
    """Keep (do not recreate) a SQLite test database copied from ``SENPORTAL_TEST_DB_TEMPLATE``:
    Django would delete the copy and run every migration again. The copy is removed at the end
    of the session (``django_db_modify_db_settings``)."""
    from django.conf import settings

    sqlite = settings.DATABASES["default"]["ENGINE"].endswith("sqlite3")
    return django_db_keepdb or (sqlite and _sqlite_template(os.environ.get("SENPORTAL_TEST_DB_TEMPLATE")))


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings: None) -> Iterator[None]:
    """On SQLite, give the test database a file (under var/, one per test process), so a real
    Celery worker started by a test can open the same database; an in-memory one lives only
    inside this process. PostgreSQL test databases are reachable already (pytest-xdist gives
    each process its own); with ``SENPORTAL_TEST_DB_TEMPLATE`` set they are copies of that
    already-migrated database."""
    from django.conf import settings

    default = settings.DATABASES["default"]
    template = os.environ.get("SENPORTAL_TEST_DB_TEMPLATE")
    if default["ENGINE"].endswith("sqlite3"):
        default.setdefault("TEST", {})["NAME"] = str(TESTS_DIR.parent / "var" / f"test-{os.getpid()}.sqlite3")
        if _sqlite_template(template):
            # The same for the embedded step: a copy of a migrated SQLite file (kept, not
            # recreated: see django_db_keepdb above), removed when the session ends.
            copy = Path(default["TEST"]["NAME"])
            shutil.copyfile(str(template), copy)
            yield
            copy.unlink(missing_ok=True)
            return
    elif template and default["ENGINE"].endswith(("postgresql", "postgis")):
        # CI (.ci/run) migrates one database once, while lint and types run, and each test
        # process's database is created as a copy of it (CREATE DATABASE ... TEMPLATE): the
        # migrations, triggers and constraints included, for a fraction of a second instead of
        # running every migration again per process. pytest-django's migrate then finds nothing
        # to apply; an older template gets the missing migrations applied as usual.
        default.setdefault("TEST", {})["TEMPLATE"] = template
    yield


# --- Markers ------------------------------------------------------------------------------


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """``@pytest.mark.postgres_only``, the one PostgreSQL-only marker: elsewhere the test skips
    and says why (CI's main run is on PostgreSQL, where it runs).

    ``@pytest.mark.seeded`` (tests/dashboard/test_seeded_demo.py): checks the database
    ``seed_demo`` filled, so it runs only when ``-m`` names the marker (``.ci/run``'s embedded
    step); other runs leave it out (deselected, not skipped)."""
    if "seeded" not in (config.option.markexpr or ""):
        left_out = [item for item in items if item.get_closest_marker("seeded")]
        if left_out:
            config.hook.pytest_deselected(items=left_out)
            items[:] = [item for item in items if not item.get_closest_marker("seeded")]
    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason=f"needs PostgreSQL (this run is on {connection.vendor})")
    for item in items:
        if item.get_closest_marker("postgres_only"):
            item.add_marker(skip)


class _XdistGroups:
    """``--dist loadgroup`` for the installed pair: pytest-xdist 3.8 sends an ``xdist_group``'s
    tests to one process by adding "@group" to ``item._nodeid``, which pytest 9 no longer reads
    (the node id is ``item._id``), so every group was silently split between the processes and
    each built its own shared fixture (tests/demo's demo, the calibrated history). This adds the
    suffix the way pytest 9 stores it, after xdist's own hook; it does nothing without xdist
    or once xdist does it itself."""

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        if not getattr(config.option, "loadgroup", False):  # set on xdist's workers only
            return
        from _pytest.nodeid import NodeId

        for item in items:
            names = {m.args[0] if m.args else m.kwargs.get("name", "default") for m in item.iter_markers("xdist_group")}
            suffix = "@" + "_".join(sorted(str(name) for name in names))
            if names and not item.nodeid.endswith(suffix):
                item._id = NodeId.parse(item.nodeid + suffix)


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(_XdistGroups(), "senportal-xdist-groups")


# --- Personas -----------------------------------------------------------------------------


class Personas:
    """One user per role, plus the people permission tests need: a second officer and a panel
    head teacher. Created lazily so a test pays only for the users it uses."""

    def __init__(self) -> None:
        self._cache: dict[str, User] = {}

    def _get(self, key: str, *roles: Role) -> User:
        if key not in self._cache:
            self._cache[key] = make_user(*roles, username=key)
        return self._cache[key]

    def for_role(self, role: Role) -> User:
        return self._get(f"persona_{role.value}", role)

    @property
    def officer(self) -> User:
        return self.for_role(Role.SEN_OFFICER)

    @property
    def other_officer(self) -> User:
        return self._get("persona_other_officer", Role.SEN_OFFICER)

    @property
    def evaluator(self) -> User:
        return self.for_role(Role.PROVISION_EVALUATOR)

    @property
    def ep(self) -> User:
        return self.for_role(Role.EDUCATIONAL_PSYCHOLOGIST)

    @property
    def panel_member(self) -> User:
        return self.for_role(Role.PANEL_MEMBER)

    @property
    def head_teacher(self) -> User:
        return self._get("persona_head_teacher", Role.PANEL_MEMBER)

    @property
    def chair(self) -> User:
        return self.for_role(Role.PANEL_CHAIR)

    @property
    def finance(self) -> User:
        return self.for_role(Role.FINANCE_OFFICER)

    @property
    def manager(self) -> User:
        return self.for_role(Role.MANAGER)

    @property
    def admin(self) -> User:
        return self.for_role(Role.ADMIN)


@pytest.fixture
def personas(db: None) -> Personas:
    return Personas()


@pytest.fixture
def api_client_for(db: None) -> Callable[[User | None], Any]:
    """An API client signed in as the given user (an expiring API token, ``Bearer``), or anonymous."""
    from rest_framework.test import APIClient

    def _client(user: User | None) -> APIClient:
        client = APIClient()
        if user is not None:
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_for(user)}")
        return client

    return _client


# --- Static files in tests ----------------------------------------------------------------


@pytest.fixture(autouse=True, scope="session")
def _plain_static_storage() -> Iterator[None]:
    """Tests run with DEBUG off; serve static files unhashed (no collectstatic needed)."""
    from django.conf import settings
    from django.test import override_settings

    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(STORAGES=storages):
        yield


# --- Browser (Playwright on Debian's Chromium) -------------------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"{CHROMIUM} is missing: the browser tests need Debian's Chromium. "
            "Install it with: apt-get install -y --no-install-recommends chromium (make test does this)."
        )
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


AXE_SOURCE = (TESTS_DIR / "vendor" / "axe.min.js").read_text(encoding="utf-8")


AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
FAILING_IMPACTS = frozenset({"serious", "critical"})


def axe_scan(page: Any) -> list[dict[str, Any]]:
    """Run axe-core (WCAG 2.0–2.2 A and AA rules and best practice) on the page; return every
    violation, whatever its impact: rule, impact, help and the first five targets. Injected
    through the DevTools protocol, so the page's CSP still applies to the page itself. Only
    that comes back: axe's whole result (every node's HTML and checks) made Playwright's Python
    side validate and parse hundreds of thousands of values per page (docs/benchmarks.md)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SOURCE)
    return list(
        page.evaluate(
            """async (tags) => {
            const result = await axe.run(document, {runOnly: {type: 'tag', values: tags},
                                                    resultTypes: ['violations']});
            return result.violations.map((v) => ({id: v.id, impact: v.impact, help: v.help,
                                                  nodes: v.nodes.slice(0, 5).map((n) => n.target)}));
        }""",
            AXE_TAGS,
        )
    )


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """The serious and critical violations on the page (``axe_scan``)."""
    return [v for v in axe_scan(page) if v["impact"] in FAILING_IMPACTS]


@pytest.fixture
def assert_accessible() -> Callable[[Any], None]:
    def _check(page: Any) -> None:
        violations = axe_violations(page)
        assert violations == [], f"Accessibility violations on {page.url}: {violations}"

    return _check


@pytest.fixture
def sign_in(live_server: Any) -> Callable[[Any, User], None]:
    """Sign a Playwright page in through the real sign-in form."""

    def _sign_in(page: Any, user: User) -> None:
        page.goto(f"{live_server.url}/sign-in/")
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(PERSONA_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state("domcontentloaded")

    return _sign_in


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing() -> Iterator[None]:
    """Argon2 is deliberately slow; tests that create many users use a fast hasher."""
    from django.test import override_settings

    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture
def documents_storage(settings: Any, tmp_path: Any) -> Any:
    """Files under a temporary folder; no scanner; scanning not required (each test that needs
    otherwise says so)."""
    settings.STORAGES = {
        **settings.STORAGES,
        "documents": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "documents")},
        },
    }
    settings.CLAMAV_SOCKET = ""
    settings.CLAMAV_HOST = ""
    settings.DOCUMENTS_REQUIRE_SCAN = False
    return tmp_path / "documents"
