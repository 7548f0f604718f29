"""Documents on a case: who may see them, uploading, scanning, downloading
(docs/decisions/0008-documents.md).

Core cannot import the apps that own documents (a request, an advice request, a panel referral,
a placement contract), so each app registers an :class:`OwnerPolicy` for its kind of owner in
its ``AppConfig.ready``: which owners a user may see, who may upload, the child the owner
belongs to, where its page is and how its timeline records a document. Every door (pages, API,
download) goes through the functions here, so the rule is written once.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, BinaryIO

from celery import current_app
from django.conf import settings
from django.core.checks import CheckMessage, Error
from django.core.files.base import ContentFile, File
from django.core.files.storage import Storage, storages
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from core.access import access_log_record, access_log_record_many
from core.errors import Conflict, NotPermitted, ValidationFailed
from core.models import AccessAction, Document, DocumentType, ScanState
from core.roles import Capability, user_can
from core.scanning import ScanOutcome, scan_bytes, scanner_configured
from core.uploads import UploadRefused, check_upload

logger = logging.getLogger(__name__)

STORAGE_ALIAS = "documents"
DEFAULT_MAX_BYTES = 20 * 1024 * 1024


class DocumentEvent:
    """What an owner's timeline is told (``OwnerPolicy.record_event``'s ``action``)."""

    UPLOADED = "document_uploaded"
    QUARANTINED = "document_quarantined"


@dataclass(frozen=True)
class OwnerPolicy:
    """One kind of record that documents can be filed on, as its app defines it."""

    kind: str  # in URLs and in Document.owner_kind: "request", "advice_request", ...
    label: str  # "request", "advice request": as in "Documents on this request"
    # The owners whose documents ``user`` may list and download (the owner's visible_to, with
    # any stricter rule: a head teacher on the panel sees none).
    visible_owners: Callable[[Any], QuerySet[Any]]
    can_upload: Callable[[Any, Any], bool]  # (user, owner)
    child_id_of: Callable[[Any], int | None]
    owner_url: Callable[[Any, Any], str]  # (owner, user): the page to go back to
    owner_title: Callable[[Any], str]  # a heading for the owner (no child's name)
    get_owner: Callable[[int], Any]  # the owner by id, or None: for the system's own work (the scan)
    doc_types: tuple[str, ...] = field(default=tuple(DocumentType.values))
    # (owner=, actor=, action=DocumentEvent.*, document=): one timeline row, in the transaction
    record_event: Callable[..., None] | None = None


_POLICIES: dict[str, OwnerPolicy] = {}


def register_owner(policy: OwnerPolicy) -> None:
    """Called from an app's ``AppConfig.ready``; registering a kind twice replaces it."""
    _POLICIES[policy.kind] = policy


def owner_kinds() -> list[str]:
    return sorted(_POLICIES)


def policy_for(kind: str) -> OwnerPolicy:
    try:
        return _POLICIES[kind]
    except KeyError:
        raise Http404("No such kind of record") from None


def documents_storage() -> Storage:
    return storages[STORAGE_ALIAS]


def max_upload_bytes() -> int:
    return int(getattr(settings, "DOCUMENTS_MAX_UPLOAD_BYTES", DEFAULT_MAX_BYTES))


def scan_required() -> bool:
    """Production turns this on: a document is downloadable only once the scanner passed it."""
    return bool(getattr(settings, "DOCUMENTS_REQUIRE_SCAN", False))


# --- Reading -------------------------------------------------------------------------------------


def owner_for(*, kind: str, owner_id: int, user: Any) -> tuple[OwnerPolicy, Any]:
    """The owner of that kind and id, if ``user`` may see its documents; else 404 (an owner
    the user may not see is indistinguishable from one that does not exist)."""
    policy = policy_for(kind)
    owner = policy.visible_owners(user).filter(pk=owner_id).first()
    if owner is None:
        raise Http404("No such record")
    return policy, owner


def documents_of(*, kind: str, owner_id: int) -> QuerySet[Document]:
    """The documents filed on one owner (the caller has checked the owner is visible)."""
    return Document.objects.filter(owner_kind=kind, owner_id=owner_id).select_related("uploaded_by")


def documents_visible_to(user: Any) -> QuerySet[Document]:
    """Every document ``user`` may list or download: one condition per owner kind."""
    condition = Q(pk__in=[])
    for kind, policy in _POLICIES.items():
        condition |= Q(owner_kind=kind, owner_id__in=policy.visible_owners(user).values("pk"))
    return Document.objects.filter(condition).select_related("uploaded_by")


def download_refusal(scan_state: str, *, require_scan: bool) -> str | None:
    """Why a document in ``scan_state`` may not be downloaded yet, or None if it may."""
    if scan_state == ScanState.CLEAN:
        return None
    if scan_state == ScanState.NOT_SCANNED:
        return "This document has not been scanned for viruses and cannot be downloaded" if require_scan else None
    if scan_state == ScanState.INFECTED:
        return "This document has been quarantined because a virus was found in it. It cannot be downloaded"
    return "This document is still being checked for viruses. Try again in a minute"


# --- Uploading -----------------------------------------------------------------------------------


def document_upload(
    *,
    actor: Any,
    kind: str,
    owner: Any,
    doc_type: str,
    document_date: date,
    supplied_by: str,
    file: BinaryIO | File[Any],
    filename: str,
    description: str = "",
) -> Document:
    """File an uploaded document on ``owner``: type, size and content checked, stored under a
    random key, one timeline event, and its virus scan queued once the row is committed."""
    policy = policy_for(kind)
    if not user_can(actor, Capability.DOCUMENT_UPLOAD) or not policy.can_upload(actor, owner):
        raise NotPermitted("You cannot add documents to this record")
    errors: dict[str, list[str]] = {}
    if doc_type not in policy.doc_types:
        errors["doc_type"] = [f"Select a type of document for this {policy.label}"]
    if document_date > timezone.localdate():
        errors["document_date"] = ["The date of the document must be today or in the past"]
    supplied_by = (supplied_by or "").strip()
    if not supplied_by:
        errors["supplied_by"] = ["Enter who supplied the document"]
    if scan_required() and not scanner_configured():
        errors["file"] = ["Documents cannot be uploaded now: the virus scanner is not configured"]
    limit = max_upload_bytes()
    size = getattr(file, "size", None)
    data = b""
    if "file" not in errors:
        if size is not None and size > limit:
            errors["file"] = [f"The selected file must be smaller than {limit // (1024 * 1024)} MB"]
        else:
            data = file.read(limit + 1)
            try:
                checked = check_upload(filename=filename, data=data, max_bytes=limit)
            except UploadRefused as refused:
                errors["file"] = [refused.message]
    if errors:
        first_field, messages = next(iter(errors.items()))
        raise ValidationFailed(messages[0], field=first_field, errors=errors)

    storage = documents_storage()
    key = f"{timezone.now():%Y/%m}/{uuid.uuid4().hex}"  # random: never the uploaded name
    stored_key = storage.save(key, ContentFile(data))
    try:
        with transaction.atomic():
            document = Document.objects.create(
                owner_kind=kind,
                owner_id=owner.pk,
                child_id=policy.child_id_of(owner),
                doc_type=doc_type,
                document_date=document_date,
                supplied_by=supplied_by[:200],
                description=(description or "").strip()[:200],
                uploaded_by=actor,
                uploaded_at=timezone.now(),
                original_filename=checked.filename,
                content_type=checked.kind.content_type,
                size=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
                storage_key=stored_key,
                scan_state=ScanState.PENDING if scanner_configured() else ScanState.NOT_SCANNED,
            )
            if policy.record_event is not None:
                policy.record_event(owner=owner, actor=actor, action=DocumentEvent.UPLOADED, document=document)
            if document.scan_state == ScanState.PENDING:
                transaction.on_commit(lambda: _enqueue_scan(document.pk))
    except BaseException:
        storage.delete(stored_key)  # nothing half-done: no row, no orphan file
        raise
    return document


def _enqueue_scan(document_id: int) -> None:
    try:
        # By name: core.tasks imports this module, so it is not imported back.
        current_app.send_task("core.scan_document", args=[document_id])
    except Exception:  # the broker is down: the sweep (core.scan_pending_documents) retries
        logger.warning("document scan not queued; the periodic sweep will pick it up", exc_info=True)


# --- Scanning ------------------------------------------------------------------------------------


def document_scan(*, document_id: int, scan: Callable[[bytes], ScanOutcome] = scan_bytes) -> Document | None:
    """Scan a pending document: clean, or infected (quarantined, with a timeline event). Safe
    to run twice: a document no longer pending is left alone. ``ScannerUnavailable`` propagates
    (the task retries); the document stays pending and cannot be downloaded meanwhile."""
    with transaction.atomic():
        document = Document.objects.select_for_update().filter(pk=document_id).first()
        if document is None or document.scan_state != ScanState.PENDING:
            return document
        with documents_storage().open(document.storage_key, "rb") as handle:
            data = handle.read()
        outcome = scan(data)
        document.scan_state = ScanState.INFECTED if outcome.infected else ScanState.CLEAN
        document.scan_result = outcome.signature
        document.scanned_at = timezone.now()
        document.save(update_fields=["scan_state", "scan_result", "scanned_at"])
        if outcome.infected:
            logger.warning("document %s quarantined: %s", document.pk, outcome.signature)
            policy = _POLICIES.get(document.owner_kind)
            if policy is not None and policy.record_event is not None:
                owner = policy.get_owner(document.owner_id)
                if owner is not None:
                    policy.record_event(owner=owner, actor=None, action=DocumentEvent.QUARANTINED, document=document)
        return document


def pending_document_ids(*, older_than_seconds: int = 300) -> list[int]:
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    return list(
        Document.objects.filter(scan_state=ScanState.PENDING, uploaded_at__lt=cutoff).values_list("pk", flat=True)[:500]
    )


# --- Downloading ---------------------------------------------------------------------------------


def document_for_download(*, user: Any, document_id: int, path: str = "") -> tuple[Document, File[Any]]:
    """The document and its open file, for a user who may see it and once the scan allows it;
    the read is written to the access log in the same transaction (fail closed)."""
    document = documents_visible_to(user).filter(pk=document_id).first()
    if document is None:
        raise Http404("No such document")
    refusal = download_refusal(document.scan_state, require_scan=scan_required())
    if refusal:
        raise Conflict(refusal)
    with transaction.atomic():
        access_log_record(
            user=user,
            child_id=document.child_id,
            object_type="document",
            object_id=document.pk,
            action=AccessAction.DOWNLOAD,
            path=path,
        )
        try:
            handle = documents_storage().open(document.storage_key, "rb")
        except FileNotFoundError:  # removed under the retention schedule (the row stays)
            raise Http404("The file is no longer held") from None
    return document, handle


def log_document_list(*, user: Any, documents: Iterable[Document], object_type: str, path: str = "") -> None:
    """One access-log row per child whose documents were listed."""
    child_ids = sorted({d.child_id for d in documents if d.child_id is not None})
    access_log_record_many(user=user, child_ids=child_ids, object_type=object_type, action=AccessAction.LIST, path=path)


def check_scanner_for_production(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """``check --deploy``: scanning is required but no scanner is configured, so every upload
    would be refused."""
    if scan_required() and not scanner_configured():
        return [
            Error(
                "DOCUMENTS_REQUIRE_SCAN is on but no virus scanner is configured.",
                hint="Set CLAMAV_SOCKET or CLAMAV_HOST (docs/deployment.md), or DOCUMENTS_REQUIRE_SCAN=0.",
                id="senportal.E101",
            )
        ]
    return []


# --- The child's record: subject access and retention ----------------------------------------------


def subject_sections(child_id: int) -> list[Any]:
    """The subject-access section of the documents on the child's record (core/subject_data.py):
    one row per document (its type, date, who supplied it, the scan), and each file as stored.
    A quarantined file (a virus was found) is listed but not put in the copy; a file the storage
    cannot read is named in the log, not the copy."""
    from core.subject_data import Section, rows

    documents = Document.objects.filter(child_id=child_id).order_by("pk")
    storage = documents_storage()
    files: list[tuple[str, bytes]] = []
    for document in documents:
        if document.scan_state == ScanState.INFECTED:
            continue
        try:
            with storage.open(document.storage_key, "rb") as handle:
                files.append((f"document-{document.pk}-{document.original_filename}", handle.read()))
        except OSError:
            logger.warning("subject access: the file of document %s could not be read", document.pk)
    return [
        Section(
            "documents",
            "Documents on the case (the files are in files/documents; a quarantined file is listed only)",
            rows(documents, omit=("storage_key",)),
            ("core.Document",),
            files=files,
        )
    ]


def documents_erase_for_child(child_id: int) -> int:
    """Erase every document on the child's record: the rows now, the stored files once the
    caller's transaction commits (a rolled-back erasure leaves both). Returns how many. Called by
    the retention run when the child's case file is anonymised (docs/retention.md)."""
    documents = Document.objects.filter(child_id=child_id)
    keys = list(documents.values_list("storage_key", flat=True))
    erased, _ = documents.delete()

    def delete_files() -> None:
        storage = documents_storage()
        for key in keys:
            try:
                storage.delete(key)
            except Exception:  # a file already gone, or the store down: the row is erased anyway
                logger.warning("retention: the stored file of an erased document could not be deleted")

    transaction.on_commit(delete_files)
    return erased
