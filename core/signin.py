"""Sign-in throttling (docs/architecture.md §8.3): at most 5 attempts per account in 30 minutes and 20 per
client address in an hour; past either, the password is not even checked.

The rule (``Limit.counted``, ``Limit.wait``) is pure. ``reserve_attempt`` counts an attempt
*before* the password is checked, inside a transaction holding the counters' rows, so that 50
parallel guesses at one account get at most 5 password checks; ``record_success`` then clears
the account's count and gives the address its attempt back (a busy office signing in from one
address is not throttled by its own successful sign-ins). Counters live in the database
(``SignInThrottle``), not the cache.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db import transaction
from django.db.models import F
from django.dispatch import receiver
from django.utils import timezone

from core.access import log_security_event
from core.models import AccessAction, SignInThrottle

logger = logging.getLogger(__name__)

__all__ = [
    "ACCOUNT",
    "ADDRESS",
    "MFA",
    "Limit",
    "Refusal",
    "clear_key",
    "client_address",
    "record_success",
    "reserve_attempt",
    "reserve_key",
]


@dataclass(frozen=True)
class Limit:
    attempts: int
    window: timedelta

    def counted(self, attempts: int, window_started_at: datetime, now: datetime) -> int:
        """Attempts that still count at ``now``: none once the window has passed."""
        return attempts if now - window_started_at < self.window else 0

    def wait(self, window_started_at: datetime, now: datetime) -> timedelta:
        """How long until the window ends."""
        return max(window_started_at + self.window - now, timedelta(0))


ACCOUNT = Limit(attempts=5, window=timedelta(minutes=30))
ADDRESS = Limit(attempts=20, window=timedelta(hours=1))
# Security codes (TOTP or recovery): at most 10 wrong in 30 minutes per account, then a wait.
MFA = Limit(attempts=10, window=timedelta(minutes=30))


@dataclass(frozen=True)
class Refusal:
    wait: timedelta

    @property
    def message(self) -> str:
        minutes = max(1, -(-int(self.wait.total_seconds()) // 60))
        unit = "minute" if minutes == 1 else "minutes"
        return f"Too many attempts to sign in. Wait {minutes} {unit} and try again"


def client_address(request: Any) -> str:
    """The client's address: behind the TLS proxy, the last X-Forwarded-For entry (the one the
    proxy appended; earlier entries are whatever the client sent); else REMOTE_ADDR."""
    if getattr(settings, "BEHIND_TLS_PROXY", False):
        forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR", ""))
        if forwarded.strip():
            return forwarded.split(",")[-1].strip()[:100]
    return str(request.META.get("REMOTE_ADDR", ""))[:100]


def _keys(username: str, address: str) -> list[tuple[str, Limit]]:
    keys = [(f"account:{username.strip().casefold()}"[:200], ACCOUNT)]
    if address:
        keys.append((f"address:{address}", ADDRESS))
    return sorted(keys, key=lambda pair: pair[0])  # one lock order for everybody


def _count(key: str, limit: Limit, now: datetime) -> Refusal | None:
    """Count one attempt under ``key`` (call inside a transaction); a refusal if over the limit."""
    row, _ = SignInThrottle.objects.select_for_update().get_or_create(
        key=key, defaults={"window_started_at": now, "attempts": 0}
    )
    refusal = None
    if limit.counted(row.attempts, row.window_started_at, now) >= limit.attempts:
        refusal = Refusal(limit.wait(row.window_started_at, now))
        row.attempts += 1  # still counted: the record shows the guessing went on
    elif now - row.window_started_at >= limit.window:
        row.window_started_at, row.attempts = now, 1
    else:
        row.attempts += 1
    row.save(update_fields=["window_started_at", "attempts"])
    return refusal


def reserve_attempt(*, username: str, address: str, now: datetime | None = None) -> Refusal | None:
    """Count one sign-in attempt; ``None`` if the password may be checked, else a refusal."""
    now = now or timezone.now()
    refusal: Refusal | None = None
    with transaction.atomic():
        for key, limit in _keys(username, address):
            refused = _count(key, limit, now)
            if refused is not None and (refusal is None or refused.wait > refusal.wait):
                refusal = refused
    if refusal is not None:
        logger.warning("authn_login_throttled address=%s", address or "-")
        log_security_event(None, AccessAction.SIGNIN_FAILURE, user=_account(username), reason="throttled")
    return refusal


def reserve_key(key: str, limit: Limit, *, now: datetime | None = None) -> Refusal | None:
    """Count one attempt at something else throttled the same way (a security code:
    ``mfa:<user id>`` with ``MFA``); ``None`` if it may be checked."""
    with transaction.atomic():
        return _count(key[:200], limit, now or timezone.now())


def clear_key(key: str) -> None:
    """A correct answer: the key's count starts again."""
    SignInThrottle.objects.filter(key=key[:200]).update(attempts=0)


def record_success(*, username: str, address: str) -> None:
    """A correct sign-in: the account starts again; the address gets its attempt back."""
    for key, _limit in _keys(username, address):
        rows = SignInThrottle.objects.filter(key=key)
        if key.startswith("account:"):
            rows.update(attempts=0)
        else:
            rows.filter(attempts__gt=0).update(attempts=F("attempts") - 1)


# --- Sign-in events in the access log (issue 14) -------------------------------------------------


def _account(username: str | None) -> Any:
    """The account a username names, if any (the typed text itself is never stored)."""
    if not username:
        return None
    model = get_user_model()
    return model._default_manager.filter(**{model.USERNAME_FIELD: username}).first()


def _is_a_real_request(request: Any) -> bool:
    # Client.force_login()/login() in tests and scripts sign in with a bare HttpRequest that
    # has no client address: that is not a person signing in.
    return request is not None and "REMOTE_ADDR" in getattr(request, "META", {})


@receiver(user_logged_in, dispatch_uid="core.signin.logged_in")
def _signed_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if _is_a_real_request(request):
        log_security_event(request, AccessAction.SIGNIN_SUCCESS, user=user)


@receiver(user_login_failed, dispatch_uid="core.signin.login_failed")
def _sign_in_refused(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    if not _is_a_real_request(request):
        return
    model = get_user_model()
    account = _account(credentials.get(model.USERNAME_FIELD))
    if account is None:
        reason = "unknown_account"
    elif not account.is_active:
        reason = "inactive_account"
    else:
        reason = "bad_password"
    log_security_event(request, AccessAction.SIGNIN_FAILURE, user=account, reason=reason)
