"""Every URL refuses an anonymous user; each role lands on its own home page; admin is for admins."""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from core.roles import Role

# In the representative set CI runs on the embedded default (SQLite, filesystem broker) too.
pytestmark = pytest.mark.embedded

# The only pages open without signing in, and why.
PUBLIC_PATHS = {
    "/sign-in/",  # where everyone else is sent
    "/healthz",  # load balancers and the container runtime call it; it shows no data
    "/accessibility/",  # the accessibility statement must be public (PSBAR 2018)
    "/privacy/",  # so is the privacy notice
}


def _is_a_sign_in_page(response) -> bool:
    """Ended (after redirects, if any) on the admin's or the service's sign-in form."""
    chain = response.redirect_chain
    return (
        response.status_code == 200
        and (not chain or chain[-1][0].startswith(("/admin/login/", "/sign-in/")))
        and 'name="password"' in response.content.decode()
    )


def _walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern)


def _concrete(route: str) -> str:
    """Turn a route into a path to request: parameters become 1, regex parts are simplified."""
    path = re.sub(r"<(?:\w+:)?\w+>", "1", route)
    path = re.sub(r"\(\?P<\w+>[^)]*\)", "1", path)
    path = path.replace("^", "").replace("$", "").replace("\\Z", "").replace(".*", "anything")
    path = re.sub(r"\\(.)", r"\1", path)
    return "/" + path.lstrip("/")


def all_paths() -> list[str]:
    return sorted({_concrete(route) for route in _walk(get_resolver().url_patterns)})


def test_the_url_walk_finds_the_project_urls():
    paths = all_paths()
    assert "/" in paths and "/api/schema/" in paths and "/sign-in/" in paths


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["get", "post"])
def test_every_url_refuses_an_anonymous_user(client, method):
    failures = []
    for path in all_paths():
        if path in PUBLIC_PATHS or path.startswith("/static/"):
            continue
        response = getattr(client, method)(path)
        if path.startswith("/api/"):
            ok = response.status_code in (401, 403)
        elif path.startswith("/admin/"):
            final = getattr(client, method)(path, follow=True)
            # A sign-in form and nothing else: a 404 is not a refusal (it may be a path this
            # walk made wrongly, which then tests nothing).
            ok = _is_a_sign_in_page(final)
        else:
            ok = response.status_code in (302, 405) and (
                response.status_code == 405 or response["Location"].startswith("/sign-in/")
            )
        if not ok:
            failures.append((path, response.status_code, final.status_code if path.startswith("/admin/") else None))
    assert failures == []


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(Role))
def test_each_role_lands_on_its_own_home_page(client, personas, role):
    user = personas.for_role(role)
    response = client.post("/sign-in/", {"username": user.username, "password": "correct-horse-battery-staple"})
    assert response.status_code == 302 and response["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 200
    assert [t.name for t in home.templates][0] == f"core/home/{role.value}.html"
    assert role.label in home.content.decode()


@pytest.mark.django_db
def test_wrong_password_shows_an_error_summary(client, personas):
    response = client.post("/sign-in/", {"username": personas.officer.username, "password": "wrong"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "There is a problem" in body and "Enter a correct username and password" in body


@pytest.mark.django_db
@pytest.mark.parametrize("role", [r for r in Role if r is not Role.ADMIN])
def test_django_admin_is_for_the_admin_role_only(client, personas, role):
    user = personas.for_role(role)
    user.is_staff = True  # even a staff flag set by mistake does not open the admin
    user.save()
    client.force_login(user)
    response = client.get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


@pytest.mark.django_db
def test_admin_role_opens_django_admin(client, personas):
    client.force_login(personas.admin)
    assert client.get("/admin/").status_code == 200


@pytest.mark.django_db
def test_navigation_follows_the_role(client, personas):
    client.force_login(personas.finance)
    body = client.get("/").content.decode()
    assert "Administration" not in body
    client.force_login(personas.admin)
    assert "Administration" in client.get("/").content.decode()


@pytest.mark.django_db
def test_sign_out_ends_the_session(client, personas):
    client.force_login(personas.officer)
    assert client.get("/").status_code == 200
    response = client.post("/sign-out/")
    assert response.status_code == 302
    assert client.get("/").status_code == 302


@pytest.mark.django_db
def test_pages_carry_security_headers(client, personas):
    client.force_login(personas.officer)
    response = client.get("/")
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_health_check_reports_database_and_broker(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}


@pytest.mark.django_db
def test_health_check_reports_a_broker_outage_as_degraded(client, monkeypatch):
    from celery import current_app

    def broken(*args, **kwargs):
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(current_app, "connection_for_write", broken)
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "degraded" and response.json()["broker"] == "unavailable"


@pytest.mark.django_db
def test_unknown_page_is_a_gov_uk_404(client, personas):
    client.force_login(personas.officer)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
