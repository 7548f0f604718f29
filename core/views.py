"""Pages every role shares: sign-in, home, health check, static information pages."""

from __future__ import annotations

import logging
from typing import Any

from celery import current_app
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import RequestDataTooBig, ValidationError
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.module_loading import import_string
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core import signin
from core.forms import GovukFormMixin
from core.roles import ROLE_LABELS, primary_role, user_roles

logger = logging.getLogger(__name__)


class SignInForm(GovukFormMixin, AuthenticationForm):
    error_messages = {
        "invalid_login": "Enter a correct username and password. Both are case-sensitive.",
        "inactive": "This account is not active. Ask your system administrator.",
    }

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update({"autocomplete": "username", "spellcheck": "false"})
        # No autofocus: it would move focus past the skip link and the page's heading.
        self.fields["username"].widget.attrs.pop("autofocus", None)
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})
        self.fields["username"].error_messages["required"] = "Enter your username"
        self.fields["password"].error_messages["required"] = "Enter your password"

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        if not username or not self.cleaned_data.get("password"):
            return super().clean()  # the missing field's own message
        address = signin.client_address(self.request) if self.request is not None else ""
        refusal = signin.reserve_attempt(username=username, address=address)
        if refusal is not None:
            raise ValidationError(refusal.message, code="throttled")
        cleaned = super().clean()  # checks the password; raises for a wrong one
        signin.record_success(username=username, address=address)
        return cleaned


class SignInView(auth_views.LoginView):
    form_class = SignInForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True


def home(request: HttpRequest) -> HttpResponse:
    """Each role's home page: what that person works on first."""
    role = primary_role(request.user)
    template = f"core/home/{role.value}.html" if role else "core/home/no_role.html"
    summaries = getattr(settings, "HOME_SUMMARIES", {}).get(role.value if role else "", [])
    today = timezone.localdate()
    figures = [figure for path in summaries for figure in import_string(path)(request.user, today)]
    context = {
        "role": role,
        "figures": figures,
        "role_labels": [ROLE_LABELS[r] for r in sorted(user_roles(request.user), key=lambda r: r.value)],
    }
    return render(request, template, context)


@login_not_required
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and readiness: the database and the broker. 503 only if the database is down;
    a broker outage is reported as degraded (pages still work without background jobs)."""
    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        checks["database"] = "ok"
    except Exception:  # any failure means "not ok"; the reason goes to the log, not the response
        logger.exception("health check: database unavailable")
        checks["database"] = "unavailable"
    try:
        with current_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        checks["broker"] = "ok"
    except Exception:
        logger.exception("health check: broker unavailable")
        checks["broker"] = "unavailable"
    if checks["database"] != "ok":
        overall, status = "unavailable", 503
    elif checks["broker"] != "ok":
        overall, status = "degraded", 200
    else:
        overall, status = "ok", 200
    return JsonResponse({"status": overall, **checks}, status=status)


@login_not_required
def accessibility(request: HttpRequest) -> HttpResponse:
    return render(request, "core/accessibility.html")


@login_not_required
def privacy(request: HttpRequest) -> HttpResponse:
    return render(request, "core/privacy.html")


def _error_page(request: HttpRequest, status: int, title: str, message: str) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": title, "code": str(status)}, status=status)
    return render(request, "core/error.html", {"title": title, "message": message}, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Django's 400s (a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE``, too many fields, a bad Host),
    which happen before DRF's own error handling: under /api/ in the API's JSON shape
    (``core.api.exception_handler``), a body too large as 413; pages get the service's error page."""
    if isinstance(exception, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        detail = f"The data sent is too large: at most {limit:,} bytes, or a file sent as an upload."
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": detail, "code": "too_large"}, status=413)
        return render(
            request, "core/error.html", {"title": "The data sent is too large", "message": detail}, status=413
        )
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "The request could not be read.", "code": "bad_request"}, status=400)
    return render(
        request,
        "core/error.html",
        {"title": "The request could not be read", "message": "Go back and try again."},
        status=400,
    )


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error_page(
        request,
        404,
        "Page not found",
        "If you typed the web address, check it is correct. If you pasted it, check you copied the entire address.",
    )


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error_page(
        request,
        403,
        "You do not have access to this page",
        "Your role does not allow this. If you think it should, ask your manager or the system administrator.",
    )


def server_error(request: HttpRequest) -> HttpResponse:
    # No template context processors that could fail again; a plain, generic page.
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"detail": "Sorry, there is a problem with the service.", "code": "server_error"}, status=500
        )
    return HttpResponse(
        "<!DOCTYPE html><html lang='en-GB'><head>"
        "<title>Sorry, there is a problem with the service – SEN Portal</title></head>"
        "<body><h1>Sorry, there is a problem with the service</h1><p>Try again later.</p></body></html>",
        status=500,
    )
