"""The virus scan of an uploaded document: ClamAV's clamd through ``clamav_client``.

Configured by ``CLAMAV_SOCKET`` (a unix socket path) or ``CLAMAV_HOST``/``CLAMAV_PORT``; with
neither, there is no scanner and documents are stored as "not scanned"
(docs/decisions/0008-documents.md).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from clamav_client.clamd import ClamdError, ClamdNetworkSocket, ClamdUnixSocket
from django.conf import settings


class ScannerUnavailable(Exception):
    """clamd could not be reached or did not answer; the scan is retried later."""


@dataclass(frozen=True)
class ScanOutcome:
    infected: bool
    signature: str = ""


def scanner_configured() -> bool:
    return bool(getattr(settings, "CLAMAV_SOCKET", "") or getattr(settings, "CLAMAV_HOST", ""))


def _client() -> ClamdNetworkSocket:
    timeout = float(getattr(settings, "CLAMAV_TIMEOUT", 30))
    socket_path = getattr(settings, "CLAMAV_SOCKET", "")
    if socket_path:
        return ClamdUnixSocket(path=socket_path, timeout=int(timeout))
    return ClamdNetworkSocket(
        host=str(settings.CLAMAV_HOST), port=int(getattr(settings, "CLAMAV_PORT", 3310)), timeout=timeout
    )


def scan_bytes(data: bytes) -> ScanOutcome:
    """Stream ``data`` to clamd. ``ScannerUnavailable`` when it cannot answer: the socket is
    down, or the stream is over clamd's ``StreamMaxLength`` (clamd then closes the connection,
    which surfaces as ``BrokenPipeError``, an ``OSError``, rather than its own error)."""
    try:
        result = _client().instream(io.BytesIO(data))
    except (ClamdError, OSError) as error:
        raise ScannerUnavailable(type(error).__name__) from error
    status, reason = result.get("stream", (None, None))
    if status == "FOUND":
        return ScanOutcome(infected=True, signature=str(reason or "unknown")[:200])
    if status == "OK":
        return ScanOutcome(infected=False)
    raise ScannerUnavailable(f"unexpected answer {status!r}")
