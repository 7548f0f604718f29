"""Template context shared by every page: the navigation a user's roles allow."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from core import mfa, session
from core.roles import Capability, primary_role, user_can


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    capability: Capability | None  # None: everyone signed in


def _navigation() -> tuple[NavItem, ...]:
    """The service navigation, in order, as the roof's settings name it (``NAVIGATION``: label,
    URL name, capability or None): core imports no app and names no app's URL. An entry whose URL
    does not exist (yet) is left out."""
    return tuple(
        NavItem(label, url_name, Capability(capability) if capability else None)
        for label, url_name, capability in getattr(settings, "NAVIGATION", ())
    )


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    items: list[dict[str, Any]] = []
    # A password-only session (second step not done) gets no navigation: only "Sign out".
    if user is not None and user.is_authenticated and mfa.session_satisfies_mfa(user):
        for item in _navigation():
            if item.capability is not None and not user_can(user, item.capability):
                continue
            try:
                url = reverse(item.url_name)
            except NoReverseMatch:
                continue
            active = request.path == url if url == "/" else request.path.startswith(url)
            items.append({"label": item.label, "url": url, "active": active})
    role = primary_role(user) if user is not None else None
    return {
        "nav_items": items,
        "primary_role": role,
        "council_name": settings.COUNCIL_NAME,
        # The timeout warning (static/app/timeout.js) and a form kept over a sign-out (core/session.py).
        "session_timeout_seconds": settings.SESSION_COOKIE_AGE,
        "session_timeout_minutes": settings.SESSION_COOKIE_AGE // 60,
        "kept_form": session.take_kept_form(request) if user is not None else None,
    }
