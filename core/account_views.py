"""Pages for signing in safely: the security-code step, setting up an authenticator, "confirm it
is you" (sudo mode), one's own account security (recovery codes, API tokens), and the
administrators' page to reset a person's MFA and see or revoke every API token.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import authenticate, get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from core import mfa, security_events, signin, sudo, tokens
from core.errors import Conflict
from core.forms import GovukFormMixin
from core.roles import Capability, user_can

CODE_HINT = "The 6-digit code from your authenticator app, or one of your recovery codes."


def _safe_next(request: HttpRequest, default: str = "home") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(default)


class CodeForm(GovukFormMixin, forms.Form):
    code = forms.CharField(
        label="Security code",
        help_text=CODE_HINT,
        max_length=32,
        error_messages={"required": "Enter your security code"},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "spellcheck": "false", "class": "govuk-input govuk-input--width-10"}
        ),
    )

    def __init__(self, *args: Any, user: Any, request: HttpRequest | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.user = user
        self.request = request  # for the security event a wrong code writes
        self.device: Any = None

    def clean_code(self) -> str:
        code = str(self.cleaned_data["code"])
        device, refusal = mfa.verify_code(self.user, code)
        if refusal is not None:
            raise forms.ValidationError(refusal.message.replace("sign in", "enter a code"), code="throttled")
        if device is None:
            security_events.record("authn_mfa_fail", user=self.user, request=self.request)
            raise forms.ValidationError(
                "The security code is not right, or has been used already. Enter the current code from your "
                "authenticator app, or a recovery code you have not used.",
                code="invalid",
            )
        self.device = device
        return code


@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """Step two of signing in: the security code."""
    user = request.user
    if mfa.session_satisfies_mfa(user):
        return HttpResponseRedirect(_safe_next(request))
    if not mfa.has_authenticator(user):
        return HttpResponseRedirect(f"{reverse('mfa-setup')}?{request.GET.urlencode()}")
    form = CodeForm(request.POST or None, user=user, request=request)
    if request.method == "POST" and form.is_valid():
        mfa.complete_sign_in(request, form.device)
        security_events.record("authn_mfa_success", user=user, request=request)
        return HttpResponseRedirect(_safe_next(request))
    return render(request, "core/account/verify.html", {"form": form, "next": _safe_next(request)})


class SetupForm(GovukFormMixin, forms.Form):
    code = forms.CharField(
        label="Code from your authenticator app",
        help_text="Enter the 6-digit code the app shows for SEN Portal.",
        max_length=10,
        error_messages={"required": "Enter the 6-digit code from your authenticator app"},
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "spellcheck": "false",
                "class": "govuk-input govuk-input--width-5",
            }
        ),
    )


@require_http_methods(["GET", "POST"])
def setup(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app: QR code, the secret as text (for screen-reader users and
    typing by hand), a first code to confirm it; then the recovery codes, shown once.

    Someone who already has one and has not given a code this session goes to the code step
    instead; replacing an authenticator needs a fresh sign-in (sudo mode)."""
    user = request.user
    if mfa.has_authenticator(user):
        if not mfa.session_satisfies_mfa(user):
            return HttpResponseRedirect(f"{reverse('mfa-verify')}?{request.GET.urlencode()}")
        refused = sudo.require_sudo(request)
        if refused is not None:
            return refused
    device = mfa.pending_authenticator(user)
    form = SetupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes, refusal = mfa.confirm_authenticator(user, device, str(form.cleaned_data["code"]))
        if refusal is not None:
            form.add_error("code", refusal.message.replace("sign in", "enter a code"))
        elif codes is None:
            security_events.record("authn_mfa_fail", user=user, request=request)
            form.add_error(
                "code", "The code is not right. Check the app shows SEN Portal, and enter the code it shows now."
            )
        else:
            device.refresh_from_db()
            mfa.complete_sign_in(request, device)
            security_events.record("authn_mfa_enrolled", user=user, request=request)
            return render(
                request,
                "core/account/recovery_codes.html",
                {"codes": codes, "next": _safe_next(request), "first_time": True},
            )
    context = {
        "form": form,
        "qr_code": mfa.qr_code_data_uri(device),
        "secret": mfa.secret_text(device),
        "next": _safe_next(request),
    }
    return render(request, "core/account/setup.html", context)


class ConfirmForm(GovukFormMixin, forms.Form):
    password = forms.CharField(
        label="Password",
        strip=False,
        max_length=4096,
        error_messages={"required": "Enter your password"},
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    code = forms.CharField(
        label="Security code",
        help_text=CODE_HINT,
        max_length=32,
        required=False,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "spellcheck": "false", "class": "govuk-input govuk-input--width-10"}
        ),
    )

    def __init__(self, *args: Any, request: HttpRequest, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.request = request
        self.needs_code = mfa.applies_to(request.user)
        if not self.needs_code:
            del self.fields["code"]
        else:
            self.fields["code"].required = True
            self.fields["code"].error_messages["required"] = "Enter your security code"

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        password = cleaned.get("password")
        if not password or (self.needs_code and not cleaned.get("code")):
            return cleaned
        user: Any = self.request.user
        username = user.get_username()
        address = signin.client_address(self.request)
        refusal = signin.reserve_attempt(username=username, address=address)
        if refusal is not None:
            raise forms.ValidationError(refusal.message, code="throttled")
        checked = authenticate(self.request, username=username, password=password)
        if checked is None or checked.pk != user.pk:  # authenticate() logs the refusal
            raise forms.ValidationError("Enter your correct password.", code="invalid_login")
        signin.record_success(username=username, address=address)
        if self.needs_code:
            device, code_refusal = mfa.verify_code(user, str(cleaned["code"]))
            if code_refusal is not None:
                raise forms.ValidationError(code_refusal.message.replace("sign in", "enter a code"), code="throttled")
            if device is None:
                security_events.record("authn_mfa_fail", user=user, request=self.request)
                raise forms.ValidationError(
                    "The security code is not right, or has been used already.", code="invalid_code"
                )
        return cleaned


@require_http_methods(["GET", "POST"])
def confirm_identity(request: HttpRequest) -> HttpResponse:
    """Sudo mode: password (and security code) again before a sensitive action; then back."""
    form = ConfirmForm(request.POST or None, request=request)
    if request.method == "POST" and form.is_valid():
        sudo.mark_fresh(request)
        security_events.record("authn_reauth_success", user=request.user, request=request)
        return HttpResponseRedirect(_safe_next(request))
    context = {"form": form, "next": _safe_next(request), "minutes": sudo.sudo_window_seconds() // 60}
    return render(request, "core/account/confirm.html", context)


# --- One's own account: MFA state, recovery codes, API tokens ------------------------------


def account(request: HttpRequest) -> HttpResponse:
    user = request.user
    context = {
        "mfa_on": mfa.has_authenticator(user),
        "mfa_skipped": mfa.dev_skip(),
        "recovery_codes_left": mfa.recovery_codes_left(user),
        "tokens": tokens.tokens_of(user),
        "token_hours": tokens.ttl_hours(),
        "new_token": request.session.pop(tokens.NEW_TOKEN_SESSION_KEY, None),
    }
    return render(request, "core/account/account.html", context)


@require_POST
@sudo.sudo_required
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """New recovery codes (the old ones stop working), shown once."""
    if not mfa.has_authenticator(request.user):
        return HttpResponseRedirect(reverse("mfa-setup"))
    codes = mfa.new_recovery_codes(request.user)
    security_events.record("authn_mfa_recovery_codes_renewed", user=request.user, request=request)
    return render(
        request, "core/account/recovery_codes.html", {"codes": codes, "next": reverse("account"), "first_time": False}
    )


@require_POST
@sudo.sudo_required
def token_create(request: HttpRequest) -> HttpResponse:
    """A new API token; shown once on the account page (kept in the session for one view)."""
    try:
        _, token = tokens.create(request.user)
    except Conflict as error:
        messages.error(request, error.message)
        return HttpResponseRedirect(f"{reverse('account')}#tokens")
    security_events.record("authn_token_created", user=request.user, request=request)
    request.session[tokens.NEW_TOKEN_SESSION_KEY] = token
    return HttpResponseRedirect(f"{reverse('account')}#new-token")


@require_POST
def token_revoke(request: HttpRequest) -> HttpResponse:
    """Revoke one of one's own tokens (an administrator may revoke anyone's)."""
    is_admin = user_can(request.user, Capability.ADMIN)
    revoked = tokens.revoke(str(request.POST.get("token", "")), by=request.user, any_owner=is_admin)
    if not revoked:
        raise PermissionDenied
    security_events.record("authn_token_revoked", user=request.user, request=request)
    messages.success(request, "The API token is revoked: it no longer works.")
    back = "security-admin" if is_admin and request.POST.get("from") == "admin" else "account"
    return HttpResponseRedirect(reverse(back))


# --- Administrators: MFA state of every account, resets, every API token -----------------


def _require_admin(request: HttpRequest) -> None:
    if not user_can(request.user, Capability.ADMIN):
        raise PermissionDenied


def security_admin(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    users = get_user_model().objects.order_by("username")
    with_authenticator = set(mfa.users_with_authenticator())
    people = [
        {"user": person, "mfa_on": person.pk in with_authenticator, "active": person.is_active} for person in users
    ]
    context = {"people": people, "tokens": tokens.all_tokens(), "token_hours": tokens.ttl_hours()}
    return render(request, "core/account/security_admin.html", context)


@require_POST
@sudo.sudo_required
def mfa_reset(request: HttpRequest, pk: int) -> HttpResponse:
    """Reset a person's MFA (lost phone and codes): their authenticator and recovery codes are
    removed and their sessions end; at their next sign-in they set up a new authenticator."""
    _require_admin(request)
    person = get_object_or_404(get_user_model(), pk=pk)
    with transaction.atomic():
        mfa.reset(person)
        security_events.record("authn_mfa_reset", user=request.user, request=request, subject=person)
    messages.success(request, f"Two-step sign-in reset for {person.get_username()}. They set it up again at sign-in.")
    return HttpResponseRedirect(reverse("security-admin"))
