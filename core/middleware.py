"""Middleware: sign-in required everywhere, and security headers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.http import HttpRequest, HttpResponse

from core import access, session
from core.models import AccessAction


class SignInRequiredMiddleware(LoginRequiredMiddleware):
    """Send anyone not signed in to the sign-in page, from every page.

    Views opt out with Django's ``@login_not_required`` (sign-in, health check). The API
    answers 401/403 in JSON through DRF's own authentication instead of redirecting.
    """

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        if request.path.startswith("/api/"):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)

    def handle_no_permission(self, request: HttpRequest, view_func: Callable[..., Any]) -> HttpResponse:
        if request.method == "POST":
            return session.redirect_lost_post(request)  # keep what was typed (core/session.py)
        return super().handle_no_permission(request, view_func)  # type: ignore[no-any-return]


CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class SecurityHeadersMiddleware:
    """Content-Security-Policy on pages, and no caching of anything that may hold child data."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith("/api/docs/") or request.path.startswith("/admin/"):
            # Swagger UI and the Django admin use inline scripts and styles of their own.
            response.headers.setdefault(
                "Content-Security-Policy",
                CONTENT_SECURITY_POLICY.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'").replace(
                    "style-src 'self'", "style-src 'self' 'unsafe-inline'"
                ),
            )
        else:
            response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        if not request.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response


class RequestIdMiddleware:
    """First in the chain: gives each request an id (``request.request_id``, the
    ``X-Request-ID`` response header, every log line and access-log row), and records every
    refusal (a 403 from a page or the API, whatever raised it) as an ``authz_fail`` security
    event. The API's exception handler and ``core.pages`` may set ``request.authz_reason`` to
    say why; the row is written after the view, outside its transaction, so it survives a
    rollback."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = access.begin_request(request)
        try:
            response = self.get_response(request)
            if response.status_code == 403 and not getattr(request, "security_event_logged", False):
                reason = getattr(request, "authz_reason", "") or "forbidden"
                access.log_security_event(request, AccessAction.AUTHZ_FAILURE, reason=reason)
            response.headers[access.REQUEST_ID_HEADER] = request.request_id  # type: ignore[attr-defined]
            return response
        finally:
            access.end_request(token)
