"""Sudo mode: a fresh sign-in before the most sensitive actions (OWASP ASVS 5.0 V7.5.1).

Bulk exports, SEN2 and subject access downloads, role changes and MFA resets need the person to
have proved who they are (password, and their second factor when MFA applies) within the last
``SUDO_MODE_SECONDS`` (15 minutes). The time of the last full sign-in or confirmation is kept in
the session under ``SUDO_SESSION_KEY``; ``mark_fresh`` sets it (the sign-in's last step and the
"confirm it is you" page, ``core.account_views.confirm_identity``), ``is_fresh`` reads it.

Four ways to ask for it, one rule:

* ``@sudo_required`` on a function view, ``SudoRequiredMixin`` on a class-based view;
* ``require_sudo(request)`` inside a view that only sometimes needs it (a page that is also a
  download with ``?format=csv``): it returns the response to send instead, or ``None``;
* ``SudoFresh``, a DRF permission class: 403 with ``code: "reauth_required"``.

Pages go to the confirmation page and come back to where they were (GET) or to the page the form
was on (POST: the form is shown again; nothing is done without a fresh confirmation). The API
answers 403 JSON ``{"detail": ..., "code": "reauth_required"}``. A token-authenticated API call has
no session and is never fresh: these actions are for people at a browser.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from rest_framework.permissions import BasePermission

__all__ = [
    "REAUTH_CODE",
    "SUDO_SESSION_KEY",
    "SudoFresh",
    "SudoRequiredMixin",
    "confirm_url",
    "is_fresh",
    "mark_fresh",
    "require_sudo",
    "sudo_required",
    "sudo_window_seconds",
]

SUDO_SESSION_KEY = "core.reauthenticated_at"
REAUTH_CODE = "reauth_required"
REAUTH_MESSAGE = "Confirm it is you: sign in again (password and security code) to do this."


def sudo_window_seconds() -> int:
    return int(getattr(settings, "SUDO_MODE_SECONDS", 15 * 60))


def mark_fresh(request: HttpRequest, *, at: float | None = None) -> None:
    """The person has just proved who they are (password, and second factor where it applies)."""
    request.session[SUDO_SESSION_KEY] = int(at if at is not None else time.time())


def is_fresh(request: HttpRequest, *, now: float | None = None) -> bool:
    """True if the session's last full sign-in or confirmation is within the window."""
    session = getattr(request, "session", None)
    user = getattr(request, "user", None)
    if session is None or user is None or not user.is_authenticated:
        return False
    at = session.get(SUDO_SESSION_KEY)
    if not isinstance(at, int | float):
        return False
    now = time.time() if now is None else now
    return 0 <= now - at < sudo_window_seconds()


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def confirm_url(request: HttpRequest, next_url: str | None = None) -> str:
    """The confirmation page, coming back to ``next_url`` (default: this page, or for a form sent
    by POST the page it was sent from)."""
    if next_url is None:
        if request.method == "GET":
            next_url = request.get_full_path()
        else:
            referer = request.headers.get("referer", "")
            same_site = referer and url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()})
            next_url = referer if same_site else request.path
    return f"{reverse('sudo-confirm')}?{urlencode({'next': next_url})}"


def require_sudo(request: HttpRequest) -> HttpResponse | None:
    """``None`` if the session is fresh; otherwise the response to send instead (a redirect to
    the confirmation page, or the API's 403 JSON)."""
    if is_fresh(request):
        return None
    if _is_api(request):
        return JsonResponse({"detail": REAUTH_MESSAGE, "code": REAUTH_CODE}, status=403)
    return HttpResponseRedirect(confirm_url(request))


def sudo_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Decorator for a function view: a fresh sign-in within the window, or confirm first."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        refused = require_sudo(request)
        if refused is not None:
            return refused
        return view(request, *args, **kwargs)

    return wrapped


class SudoRequiredMixin:
    """Mixin for a class-based view (put it first): every method needs a fresh sign-in."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        refused = require_sudo(request)
        if refused is not None:
            return refused
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc,no-any-return]


class SudoFresh(BasePermission):
    """DRF permission: a session signed in (or confirmed) within the window; 403 otherwise."""

    message = REAUTH_MESSAGE
    code = REAUTH_CODE

    def has_permission(self, request: Any, view: Any) -> bool:
        if getattr(request, "auth", None) is not None:
            return False  # a token: no session, never fresh
        return is_fresh(request._request if hasattr(request, "_request") else request)
