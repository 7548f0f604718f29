"""Idle sign-out without losing work (WCAG 2.2.1 Timing adjustable, docs/accessibility.md).

A session ends after ``SESSION_COOKIE_AGE`` seconds without a request (30 minutes;
``SESSION_SAVE_EVERY_REQUEST`` makes the age count from the last request). Two minutes before,
``static/app/timeout.js`` shows the GOV.UK timeout warning, which can extend the session through
``session_extend``. When the session has ended anyway:

* a form sent after the end is kept in the new (signed-out) session under a one-time token, and
  the person goes to the sign-in page with ``next`` set to the page the form was on plus
  ``?restore=<token>``;
* the warning, when time runs out, sends what was typed in the page's form to ``session_keep``,
  which signs out (if the session has not quite ended) and keeps it the same way.

After signing in (Django's ``login`` keeps an anonymous session's data), the page that had the
form puts the text back (``restored_form`` in the template context; ``static/app/restore.js``
fills the fields and a banner explains). Passwords, CSRF tokens and files are never kept: a file
has to be chosen again, and the banner says so.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse, QueryDict
from django.shortcuts import resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

STASH_KEY = "core.kept_forms"
RESTORE_PARAM = "restore"
# A kept form is offered back for an hour after the sign-out, then forgotten.
KEPT_FOR_SECONDS = 60 * 60
# Only the latest few forms of one browser are kept; each at most this many characters.
MAX_KEPT_FORMS = 3
MAX_KEPT_CHARACTERS = 100_000
_NEVER_KEPT = ("csrfmiddlewaretoken", "password", "next", RESTORE_PARAM)


def _keepable(data: QueryDict) -> dict[str, list[str]]:
    fields = {name: data.getlist(name) for name in data if not any(word in name.lower() for word in _NEVER_KEPT)}
    return {name: values for name, values in fields.items() if any(value.strip() for value in values)}


def _same_site_path(request: HttpRequest, url: str | None) -> str | None:
    if not url or not url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}):
        return None
    parts = urlsplit(url)
    return parts.path or None


def keep_form(request: HttpRequest, *, page: str, action: str, data: QueryDict, had_files: bool) -> str | None:
    """Keep a form's fields in this (signed-out) session; return the one-time token, or None if
    nothing worth keeping was typed."""
    fields = _keepable(data)
    if not fields or sum(len(v) for values in fields.values() for v in values) > MAX_KEPT_CHARACTERS:
        return None
    now = time.time()
    kept = {
        token: entry
        for token, entry in request.session.get(STASH_KEY, {}).items()
        if now - entry["at"] < KEPT_FOR_SECONDS
    }
    token = secrets.token_urlsafe(16)
    kept[token] = {"page": page, "action": action, "fields": fields, "had_files": had_files, "at": now}
    request.session[STASH_KEY] = dict(sorted(kept.items(), key=lambda item: item[1]["at"])[-MAX_KEPT_FORMS:])
    return token


def sign_in_url(request: HttpRequest, *, page: str, token: str | None, timed_out: bool = False) -> str:
    target = f"{page}?{urlencode({RESTORE_PARAM: token})}" if token else page
    query = {"next": target, **({"timeout": "1"} if timed_out else {})}
    return f"{resolve_url(settings.LOGIN_URL)}?{urlencode(query)}"


def redirect_lost_post(request: HttpRequest) -> HttpResponse:
    """A form sent after the session ended: keep it, and go to sign-in, then back to its page."""
    page = _same_site_path(request, request.headers.get("referer")) or request.path
    token = keep_form(request, page=page, action=request.path, data=request.POST, had_files=bool(request.FILES))
    return HttpResponseRedirect(sign_in_url(request, page=page, token=token, timed_out=True))


def take_kept_form(request: HttpRequest) -> dict[str, Any] | None:
    """The form kept for this page (once: it is removed from the session when shown)."""
    token = request.GET.get(RESTORE_PARAM)
    if request.method != "GET" or not token or not request.user.is_authenticated:
        return None
    kept = request.session.get(STASH_KEY, {})
    entry = kept.get(token)
    if entry is None or entry["page"] != request.path or time.time() - entry["at"] >= KEPT_FOR_SECONDS:
        return None
    del kept[token]
    request.session[STASH_KEY] = kept
    return {"action": entry["action"], "fields": entry["fields"], "had_files": entry["had_files"]}


@require_POST
def session_extend(request: HttpRequest) -> HttpResponse:
    """ "Stay signed in": any request signed in restarts the idle time (``SESSION_SAVE_EVERY_REQUEST``);
    this one marks the session changed as well, so it is saved even if that setting changes."""
    request.session.modified = True
    if request.headers.get("accept", "").startswith("application/json"):
        return JsonResponse({"seconds_left": settings.SESSION_COOKIE_AGE})
    page = _same_site_path(request, request.POST.get("next")) or resolve_url("home")
    return HttpResponseRedirect(page)


@login_not_required
@require_POST
def session_keep(request: HttpRequest) -> HttpResponse:
    """Time ran out on a page (the timeout warning was not answered): sign out if the session has
    not ended yet, keep what was typed in the page's form, and go to sign in again (the script
    follows the redirect and then goes where it ended)."""
    if request.user.is_authenticated:
        logout(request)  # a new, empty session: the kept form goes into it
    # Which page and form: in the query, so they cannot clash with the form's own field names.
    page = _same_site_path(request, request.GET.get("page")) or resolve_url("home")
    action = _same_site_path(request, request.GET.get("action")) or page
    had_files = request.GET.get("files") == "1"
    token = keep_form(request, page=page, action=action, data=request.POST, had_files=had_files)
    return HttpResponseRedirect(sign_in_url(request, page=page, token=token, timed_out=True))


# --- Absolute session lifetime (issue 14): 12 hours from sign-in, however active ------------

SIGNED_IN_AT_KEY = "core.signed_in_at"


@receiver(user_logged_in)
def _note_sign_in_time(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        request.session[SIGNED_IN_AT_KEY] = int(time.time())


def session_expired(started: Any, now: float) -> bool:
    """Pure rule: a session signed in at ``started`` has passed the absolute limit at ``now``
    (a session with no start recorded is treated as just started)."""
    if not isinstance(started, int | float):
        return False
    return now - started >= int(getattr(settings, "SESSION_ABSOLUTE_SECONDS", 12 * 60 * 60))


class SessionLifetimeMiddleware:
    """Sign out a session 12 hours (``SESSION_ABSOLUTE_SECONDS``) after its sign-in, however
    active it has been; the idle limit is ``SESSION_COOKIE_AGE``. The next middleware sees a
    signed-out person: pages go to sign-in, the API answers 401/403."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = time.time()
            started = request.session.get(SIGNED_IN_AT_KEY)
            if started is None:
                request.session[SIGNED_IN_AT_KEY] = int(now)  # a session from before this rule
            elif session_expired(started, now):
                logout(request)
        return self.get_response(request)
