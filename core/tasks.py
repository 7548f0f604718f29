"""Core Celery tasks."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.utils import timezone

from core.documents import document_scan, pending_document_ids
from core.scanning import ScannerUnavailable


@shared_task(name="core.heartbeat", soft_time_limit=20, time_limit=30)
def heartbeat() -> str:
    """A periodic no-op that proves beat and a worker are alive; returns the time it ran."""
    return timezone.now().isoformat()


@shared_task(name="core.echo", soft_time_limit=20, time_limit=30)
def echo(value: int) -> int:
    """Round-trip check used by the health page's tests and by CI's real-worker test."""
    return value * 2


# --- Documents (docs/decisions/0008-documents.md) ------------------------------------------------


@shared_task(
    name="core.scan_document",
    bind=True,
    autoretry_for=(ScannerUnavailable,),
    retry_backoff=30,
    retry_backoff_max=600,
    max_retries=10,
    soft_time_limit=120,
    time_limit=150,
)
def scan_document(self: Any, document_id: int) -> str:
    """Scan one uploaded document (queued after its upload commits). Takes an id only; safe to
    run twice; clamd unreachable means a retry with backoff, the document staying pending."""
    document = document_scan(document_id=document_id)
    return document.scan_state if document is not None else "missing"


@shared_task(name="core.scan_pending_documents", soft_time_limit=60, time_limit=90)
def scan_pending_documents() -> int:
    """The sweep: re-queue scans of documents pending for over five minutes (the broker was
    down when they were uploaded, or every retry failed)."""
    ids = pending_document_ids()
    for document_id in ids:
        scan_document.delay(document_id)
    return len(ids)
