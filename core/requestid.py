"""The id of the request being served, its client address, and a log filter that puts the id
in every log line. No models here: the logging configuration imports this module before the
apps are ready. ``core.middleware.RequestIdMiddleware`` sets and clears it for each request."""

from __future__ import annotations

import contextvars
import logging
import re
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings

REQUEST_ID_HEADER = "X-Request-ID"
_INCOMING_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


@dataclass(frozen=True)
class RequestContext:
    request_id: str
    address: str


_current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar("senportal_request", default=None)


def new_request_id(request: Any) -> str:
    """A fresh id for this request; behind the council's TLS proxy, the proxy's own
    ``X-Request-ID`` is kept when it looks like one (so its logs and ours line up)."""
    if getattr(settings, "BEHIND_TLS_PROXY", False):
        incoming = str(request.META.get("HTTP_X_REQUEST_ID", ""))
        if _INCOMING_ID.match(incoming):
            return incoming
    return uuid.uuid4().hex


def begin_request(request: Any) -> contextvars.Token[RequestContext | None]:
    from core.signin import client_address  # core.signin writes security events through here

    request_id = new_request_id(request)
    request.request_id = request_id
    return _current.set(RequestContext(request_id=request_id, address=client_address(request)))


def end_request(token: contextvars.Token[RequestContext | None]) -> None:
    _current.reset(token)


def current_context() -> RequestContext | None:
    return _current.get()


class RequestIdLogFilter(logging.Filter):
    """Adds ``request_id`` to every log record ("-" outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = _current.get()
        record.request_id = context.request_id if context else "-"
        return True
