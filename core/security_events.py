"""Security events (OWASP logging vocabulary: ``authn_login_success``, ``authn_login_fail``,
``authn_mfa_fail``, ``authz_fail``, ...): one structured JSON line each on the
``senportal.security`` logger, with the time (UTC), the user, the client address and the path.

Never a password, a code or a token: only the event's name and who, where and when.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver
from django.utils import timezone

from core import signin

logger = logging.getLogger("senportal.security")

__all__ = ["record"]


def record(name: str, *, user: Any = None, request: Any = None, subject: Any = None, **fields: Any) -> None:
    """Log one security event. ``user`` is who acted (or tried), ``subject`` whom it was about."""
    event: dict[str, Any] = {"event": name, "at": timezone.now().isoformat()}
    if user is not None and getattr(user, "pk", None) is not None:
        event["user_id"] = user.pk
    if subject is not None:
        event["subject_user_id"] = getattr(subject, "pk", None)
    if request is not None:
        event["address"] = signin.client_address(request) or None
        event["path"] = str(getattr(request, "path", ""))[:300]
        event["method"] = getattr(request, "method", None)
    event.update({key: value for key, value in fields.items() if value is not None})
    # JSON: a value holding a newline or quote cannot forge another log line.
    logger.info(json.dumps(event, default=str, sort_keys=True))


@receiver(user_logged_in)
def _login_success(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    record("authn_login_success", user=user, request=request)


@receiver(user_login_failed)
def _login_fail(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    # The username tried is not logged (it may be a password typed in the wrong box).
    record("authn_login_fail", request=request)
