"""Documents on a request's timeline (the files themselves: core/documents.py)."""

from __future__ import annotations

from typing import Any

from core.models import Document
from requests_app.models import AssessmentRequest, RequestEvent
from requests_app.services.common import write_event


def request_record_document_event(
    *, request: AssessmentRequest, actor: Any, action: str, document: Document
) -> RequestEvent:
    """One timeline entry for a document filed on the request, one of its advice requests or
    its panel referral, or quarantined by the virus scan (``actor`` None: the system). Called
    inside the upload's or the scan's transaction."""
    return write_event(
        request,
        actor=actor,
        action=action,
        from_status=request.status,
        payload={
            "document_id": document.pk,
            "doc_type": document.doc_type,
            "owner_kind": document.owner_kind,
            "owner_id": document.owner_id,
            "document_date": document.document_date,
        },
    )
