"""Where outbound email goes: a small backend interface chosen by ``settings.MESSAGE_BACKEND``.

- ``outbox`` (the default, for development and tests): the message row already in the database
  *is* the outbox; sending marks it sent with a local id, and the Outbox page shows it.
- ``notify``: GOV.UK Notify through its official client (``notifications_python_client``).
  One Notify email template with ``((subject))`` and ``((body))`` placeholders carries every
  message; a letter's PDF goes with it through Notify's file-sending (``prepare_upload``).

A backend raises ``SendFailed`` for anything that may work later (network, 5xx, 429) and
``SendRejected`` for what never will (a 400: bad address, bad template); the task retries the
first and marks the second failed.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings
from notifications_python_client.errors import APIError
from notifications_python_client.notifications import NotificationsAPIClient
from notifications_python_client.utils import prepare_upload

__all__ = ["MessageBackend", "OutgoingEmail", "SendFailed", "SendRejected", "get_backend"]


class SendFailed(Exception):
    """A send that may succeed if tried again."""


class SendRejected(Exception):
    """A send the provider refused for good."""


@dataclass(frozen=True)
class OutgoingEmail:
    reference: str  # our message id: no personal data
    to_email: str
    subject: str
    body: str
    attachment: bytes | None = None


class MessageBackend(Protocol):
    name: str

    def send_email(self, email: OutgoingEmail) -> str:
        """Send; return the provider's id for the message."""
        ...


class OutboxBackend:
    """Keeps messages in the database only (the Outbox page)."""

    name = "outbox"

    def send_email(self, email: OutgoingEmail) -> str:
        return f"outbox-{email.reference}"


class NotifyBackend:
    name = "notify"

    def __init__(self, *, api_key: str, template_id: str, base_url: str | None = None) -> None:
        # The client checks the key's shape: "<name>-<service id>-<secret>" (docs/domain.md, "Letters and notices").
        kwargs: dict[str, Any] = {"base_url": base_url} if base_url else {}
        self.client = NotificationsAPIClient(api_key, **kwargs)  # type: ignore[no-untyped-call]
        self.template_id = template_id

    def send_email(self, email: OutgoingEmail) -> str:
        personalisation: dict[str, object] = {"subject": email.subject, "body": email.body}
        if email.attachment is not None:
            upload = io.BytesIO(email.attachment)
            personalisation["link_to_file"] = prepare_upload(upload, filename="letter.pdf")  # type: ignore[no-untyped-call]
        try:
            response = self.client.send_email_notification(  # type: ignore[no-untyped-call]
                email_address=email.to_email,
                template_id=self.template_id,
                personalisation=personalisation,
                reference=email.reference,
            )
        except APIError as exc:
            # A connection error comes through as a 503 (the client's REQUEST_ERROR_STATUS_CODE).
            status = exc.status_code
            if status in (400, 403):
                raise SendRejected(f"Notify refused the message ({status})") from exc
            raise SendFailed(f"Notify answered {status}") from exc
        return str(response.get("id", ""))


def get_backend() -> MessageBackend:
    name = getattr(settings, "MESSAGE_BACKEND", "outbox")
    if name == "notify":
        return NotifyBackend(
            api_key=settings.NOTIFY_API_KEY,
            template_id=settings.NOTIFY_EMAIL_TEMPLATE_ID,
            base_url=settings.NOTIFY_BASE_URL or None,
        )
    return OutboxBackend()
