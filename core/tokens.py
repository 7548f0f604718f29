"""API tokens (django-rest-knox): they expire (``REST_KNOX["TOKEN_TTL"]``, 8 hours), only a
SHA-512 digest is stored, and they can be revoked; each person lists their own, administrators
list everyone's. The header is ``Authorization: Bearer <token>``.

A token is shown once, when it is made (from a signed-in, second-factor-verified session in
sudo mode). Its public identifier, used to list and revoke it, is the start of its digest: it
says nothing about the token itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from knox.models import AuthToken
from knox.settings import knox_settings

from core.errors import Conflict

NEW_TOKEN_SESSION_KEY = "core.new_api_token"
ID_LENGTH = 16

__all__ = ["TokenInfo", "all_tokens", "create", "revoke", "tokens_of", "ttl_hours"]


@dataclass(frozen=True)
class TokenInfo:
    id: str
    owner: str
    owner_id: int
    starts: str
    created: datetime
    expiry: datetime | None


def ttl_hours() -> int:
    ttl = knox_settings.TOKEN_TTL
    return int(ttl.total_seconds() // 3600) if ttl else 0


def create(user: Any) -> tuple[AuthToken, str]:
    """A new token for ``user``: (the stored row, the token to show once). Refused (409) when
    they already hold ``REST_KNOX["TOKEN_LIMIT_PER_USER"]`` live tokens."""
    limit = knox_settings.TOKEN_LIMIT_PER_USER
    with transaction.atomic():
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()  # one at a time per person
        if limit is not None and _live().filter(user=user).count() >= limit:
            raise Conflict(f"You already have {limit} live API tokens. Revoke one you no longer use first.")
        instance, token = AuthToken.objects.create(user=user)
    return instance, token


def _live() -> QuerySet[Any]:
    now = timezone.now()
    live: QuerySet[Any] = AuthToken.objects.filter(expiry__gt=now).select_related("user").order_by("-created")
    return live


def _info(row: AuthToken) -> TokenInfo:
    return TokenInfo(
        id=row.digest[:ID_LENGTH],
        owner=row.user.get_username(),
        owner_id=row.user_id,
        starts=row.token_key[:6],
        created=row.created,
        expiry=row.expiry,
    )


def tokens_of(user: Any) -> list[TokenInfo]:
    return [_info(row) for row in _live().filter(user=user)]


def all_tokens() -> list[TokenInfo]:
    return [_info(row) for row in _live()]


def revoke(token_id: str, *, by: Any, any_owner: bool = False) -> bool:
    """Revoke the token whose identifier is ``token_id`` (one's own, or anyone's for an
    administrator). True if one was revoked."""
    if len(token_id) != ID_LENGTH or not all(c in "0123456789abcdef" for c in token_id):
        return False
    rows = AuthToken.objects.filter(digest__startswith=token_id)
    if not any_owner:
        rows = rows.filter(user=by)
    deleted, _ = rows.delete()
    return bool(deleted > 0)
