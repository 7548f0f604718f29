"""Security events of signing in safely (second factor, confirmations, API tokens): each is one
access-log row and one line on the ``senportal.security`` logger, through
``core.access.log_security_event`` (which also records sign-in success and failure, and every
refusal). Event names follow the OWASP logging vocabulary; never a password, code or token.
"""

from __future__ import annotations

from typing import Any

from core.access import log_security_event
from core.models import AccessAction

__all__ = ["EVENTS", "record"]

# Event name -> (access-log action, reason code).
EVENTS: dict[str, tuple[str, str]] = {
    "authn_mfa_success": (AccessAction.MFA_SUCCESS, ""),
    "authn_mfa_enrolled": (AccessAction.MFA_SUCCESS, "enrolled"),
    "authn_mfa_fail": (AccessAction.MFA_FAILURE, "wrong_or_used_code"),
    "authn_mfa_throttled": (AccessAction.MFA_FAILURE, "throttled"),
    "authn_mfa_reset": (AccessAction.MFA_RESET, "administrator_reset"),
    "authn_mfa_recovery_codes_renewed": (AccessAction.MFA_RESET, "new_recovery_codes"),
    "authn_reauth_success": (AccessAction.REAUTH_SUCCESS, "sudo_mode"),
    "authn_token_created": (AccessAction.TOKEN_CREATED, ""),
    "authn_token_revoked": (AccessAction.TOKEN_REVOKED, ""),
    # The admin's superuser and staff boxes (core/admin.py): granted, taken away, or refused.
    "privilege_superuser_granted": (AccessAction.PRIVILEGE_CHANGED, "superuser_granted"),
    "privilege_superuser_revoked": (AccessAction.PRIVILEGE_CHANGED, "superuser_revoked"),
    "privilege_staff_granted": (AccessAction.PRIVILEGE_CHANGED, "staff_granted"),
    "privilege_staff_revoked": (AccessAction.PRIVILEGE_CHANGED, "staff_revoked"),
    "privilege_change_refused": (AccessAction.AUTHZ_FAILURE, "privilege_not_superuser"),
}


def record(name: str, *, user: Any = None, request: Any = None, subject: Any = None) -> None:
    """Log one event. ``user`` is who acted (or tried), ``subject`` the account it was about."""
    action, reason = EVENTS[name]
    log_security_event(
        request,
        action,
        user=user,
        reason=reason,
        object_type="user" if subject is not None else "",
        object_id=getattr(subject, "pk", None),
    )
