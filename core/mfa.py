"""Multi-factor authentication for every account (OWASP ASVS 5.0 V6.3.3, V6.5.1, V6.5.5).

Built on django-otp: a TOTP device (an authenticator app) and a static device holding ten
single-use recovery codes. A TOTP code is accepted once: django-otp stores the last time step
used (``last_t``) in the database, so the same code is refused a second time, by every process.
A recovery code is deleted when used.

Signing in is two steps. The password step (``core.views.SignInView``) signs the person in; the
session is then *password-only* and gets nothing (``MfaRequiredMiddleware``: pages redirect to
the code step, the API answers 403 JSON, the admin redirects too) until the code step
(``core.account_views.verify``) calls ``django_otp.login``. Someone with no authenticator yet is
sent to set one up (``core.account_views.setup``), which verifies a first code the same way.

Wrong codes are throttled twice over: django-otp's own per-device back-off, and the sign-in
throttle's database counters (``core.signin``) under an ``mfa:<user id>`` key, 10 per 30 minutes.

``SENPORTAL_DEV_SKIP_MFA`` turns the second step off for development and the demo only; settings
refuse to start with it when ``DEBUG`` is off.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from typing import Any

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib.auth import user_logged_in
from django.db import transaction
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.http import urlencode
from django_otp import DEVICE_ID_SESSION_KEY, devices_for_user
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import SessionAuthentication

from core import security_events, signin, sudo

RECOVERY_CODE_COUNT = 10
TOTP_DEVICE_NAME = "Authenticator app"
STATIC_DEVICE_NAME = "Recovery codes"
MFA_REQUIRED_CODE = "mfa_required"
MFA_REQUIRED_MESSAGE = "Enter the security code from your authenticator app to finish signing in."

# Paths a password-only session may use: the code step, setting up an authenticator, signing
# out, the session-keeping endpoints and static information. Everything else waits for the code.
_OPEN_PATH_NAMES = ("mfa-verify", "mfa-setup", "logout", "login", "session-extend", "session-keep")
_OPEN_PREFIXES = ("/static/", "/healthz", "/accessibility/", "/privacy/")


def dev_skip() -> bool:
    return bool(getattr(settings, "SENPORTAL_DEV_SKIP_MFA", False))


def applies_to(user: Any) -> bool:
    """MFA applies to every signed-in account (all accounts are staff), unless the development
    setting turns it off."""
    return bool(user is not None and user.is_authenticated and not dev_skip())


def is_verified(user: Any) -> bool:
    verified = getattr(user, "is_verified", None)
    return bool(callable(verified) and verified())


def session_satisfies_mfa(user: Any) -> bool:
    """A signed-in session that may use the service: verified, or MFA does not apply."""
    return bool(user is not None and user.is_authenticated and (not applies_to(user) or is_verified(user)))


def has_authenticator(user: Any) -> bool:
    return bool(TOTPDevice.objects.filter(user=user, confirmed=True).exists())


def recovery_codes_left(user: Any) -> int:
    return int(StaticToken.objects.filter(device__user=user, device__confirmed=True).count())


# --- Verifying a code ---------------------------------------------------------------------


def _throttle_key(user: Any) -> str:
    return f"mfa:{user.pk}"


def verify_code(user: Any, code: str) -> tuple[Any | None, signin.Refusal | None]:
    """Check ``code`` against the user's confirmed devices: a 6-digit code against the
    authenticator, anything else against the recovery codes. Returns (device, None) on
    success, (None, refusal) when throttled, (None, None) for a wrong or replayed code."""
    code = "".join(code.split()).lower()
    refusal = signin.reserve_key(_throttle_key(user), signin.MFA)
    if refusal is not None:
        security_events.record("authn_mfa_throttled", user=user)
        return None, refusal
    matched = None
    if code:
        with transaction.atomic():
            for device in devices_for_user(user, confirmed=True, for_verify=True):
                is_totp = isinstance(device, TOTPDevice)
                if is_totp != (code.isdigit() and len(code) == device_digits(device)):
                    continue
                if device.verify_token(code):
                    matched = device
                    break
    if matched is not None:
        signin.clear_key(_throttle_key(user))
    return matched, None


def device_digits(device: Any) -> int:
    return int(getattr(device, "digits", 6))


def complete_sign_in(request: HttpRequest, device: Any) -> None:
    """The second factor is proved: mark the session verified and fresh for sudo mode."""
    otp_login(request, device)
    sudo.mark_fresh(request)


# --- Enrolment ----------------------------------------------------------------------------


def pending_authenticator(user: Any) -> TOTPDevice:
    """The authenticator being set up (unconfirmed), made if there is none."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    return device


def secret_text(device: TOTPDevice) -> str:
    """The secret in base32, in groups of four, for typing into an app by hand."""
    secret = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_code_data_uri(device: TOTPDevice) -> str:
    """The otpauth:// address as an SVG QR code (no image library needed), as a data: URI for an
    ``<img>`` (the page's CSP allows ``img-src data:``)."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def new_recovery_codes(user: Any) -> list[str]:
    """Replace the user's recovery codes with ten new ones; returned once, to be shown once."""
    with transaction.atomic():
        device, _ = StaticDevice.objects.get_or_create(user=user, name=STATIC_DEVICE_NAME, defaults={"confirmed": True})
        device.token_set.all().delete()
        codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
        StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def confirm_authenticator(user: Any, device: TOTPDevice, code: str) -> tuple[list[str] | None, signin.Refusal | None]:
    """Confirm a pending authenticator with its first code. On success the user's other
    authenticators are removed, and new recovery codes are returned (to show once)."""
    code = "".join(code.split())
    refusal = signin.reserve_key(_throttle_key(user), signin.MFA)
    if refusal is not None:
        return None, refusal
    with transaction.atomic():
        locked = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=user, confirmed=False)
        if not (code.isdigit() and locked.verify_token(code)):
            return None, None
        locked.confirmed = True
        locked.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=user).exclude(pk=locked.pk).delete()
        codes = new_recovery_codes(user)
    signin.clear_key(_throttle_key(user))
    device.refresh_from_db()
    return codes, None


def reset(user: Any) -> int:
    """Remove every second factor of ``user`` (an administrator's reset, behind sudo mode): at
    their next sign-in they set up a new authenticator. Their sessions end. Returns the number
    of devices removed."""
    from django.contrib.sessions.models import Session  # noqa: PLC0415 (app registry)

    with transaction.atomic():
        removed = 0
        for device in devices_for_user(user, confirmed=None):
            device.delete()
            removed += 1
        end_sessions(user, except_key=None, session_model=Session)
    return removed


def end_sessions(user: Any, *, except_key: str | None, session_model: Any = None) -> int:
    """End every session of ``user`` stored in the database, except ``except_key``."""
    if session_model is None:
        from django.contrib.sessions.models import Session as session_model  # noqa: N813, PLC0415
    ended = 0
    from django.utils import timezone  # noqa: PLC0415

    for session in session_model.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.session_key == except_key:
            continue
        if str(session.get_decoded().get("_auth_user_id")) == str(user.pk):
            session.delete()
            ended += 1
    return ended


# --- Enforcement --------------------------------------------------------------------------


def _open_paths() -> set[str]:
    paths = set()
    for name in _OPEN_PATH_NAMES:
        try:
            paths.add(reverse(name))
        except Exception:  # noqa: BLE001 - a URL not installed (e.g. in a minimal URLconf)
            continue
    return paths


class MfaRequiredMiddleware:
    """A password-only session gets nothing: pages (and the admin) redirect to the code step
    (or to setting up an authenticator), the API answers 403 JSON. Put after ``OTPMiddleware``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not session_satisfies_mfa(user):
            refused = self._refuse(request, user)
            if refused is not None:
                return refused
        return self.get_response(request)

    def _refuse(self, request: HttpRequest, user: Any) -> HttpResponse | None:
        path = request.path
        if path.startswith(_OPEN_PREFIXES) or path in _open_paths():
            return None
        if path.startswith("/api/"):
            if request.headers.get("authorization"):
                return None  # a token call: DRF decides (MfaSessionAuthentication refuses the session)
            request.authz_reason = MFA_REQUIRED_CODE  # type: ignore[attr-defined]  # the refusal's log row
            return JsonResponse({"detail": MFA_REQUIRED_MESSAGE, "code": MFA_REQUIRED_CODE}, status=403)
        target = "mfa-verify" if has_authenticator(user) else "mfa-setup"
        return HttpResponseRedirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")


class MfaSessionAuthentication(SessionAuthentication):
    """DRF session authentication that refuses a password-only session with 403 (the token
    classes come first; a token is issued only to a verified session)."""

    def authenticate(self, request: Any) -> tuple[Any, Any] | None:
        result = super().authenticate(request)
        if result is None:
            return None
        user = request._request.user
        if not session_satisfies_mfa(user):
            request._request.authz_reason = MFA_REQUIRED_CODE
            raise exceptions.PermissionDenied(detail=MFA_REQUIRED_MESSAGE, code=MFA_REQUIRED_CODE)
        return result


@receiver(user_logged_in)
def _password_step_done(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """After the password: without MFA (development) the sign-in is complete and fresh; with it,
    the code step marks it fresh. A session carried over from before sign-in is never verified."""
    if request is None or not hasattr(request, "session"):
        return
    if request.session.get(DEVICE_ID_SESSION_KEY) and not getattr(user, "otp_device", None):
        request.session.pop(DEVICE_ID_SESSION_KEY, None)
    request.session.pop(sudo.SUDO_SESSION_KEY, None)
    if not applies_to(user):
        sudo.mark_fresh(request)


def users_with_authenticator() -> list[int]:
    return list(TOTPDevice.objects.filter(confirmed=True).values_list("user_id", flat=True).distinct())


class MfaSessionScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    """The OpenAPI schema's name for the session cookie (as DRF's own session scheme)."""

    target_class = "core.mfa.MfaSessionAuthentication"
    name = "cookieAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "apiKey", "in": "cookie", "name": settings.SESSION_COOKIE_NAME}
