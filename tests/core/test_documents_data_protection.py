"""Documents and the child's data rights: the subject-access copy holds the documents (rows and
files, never a quarantined file), and the retention run erases them and their stored files."""

from __future__ import annotations

import io
import zipfile
from datetime import date, timedelta
from typing import Any

import pytest
from django.core.files.storage import storages
from django.utils import timezone

from core.documents import document_upload
from core.models import Document, DocumentType, ScanState
from core.roles import Role
from core.subject_data import all_sections, build_archive
from requests_app.services import retention
from tests.conftest import make_user
from tests.core.document_files import pdf, png
from tests.requests_app.factories import AdviceRequestFactory, AssessingRequestFactory, ChildFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("documents_storage")]


def _upload(
    actor: Any,
    kind: str,
    owner: Any,
    *,
    data: bytes,
    doc_type: str = DocumentType.EP_ADVICE.value,
    name: str = "EP report.pdf",
) -> Document:
    return document_upload(
        actor=actor,
        kind=kind,
        owner=owner,
        doc_type=doc_type,
        document_date=date(2026, 11, 3),
        supplied_by="Educational Psychology Service",
        file=io.BytesIO(data),
        filename=name,
    )


def test_the_subject_access_copy_lists_the_documents_with_their_files(personas: Any) -> None:
    request = AssessingRequestFactory()
    advice = AdviceRequestFactory(request=request)
    on_request = _upload(personas.officer, "request", request, data=pdf(), doc_type=DocumentType.REQUEST_LETTER.value)
    on_advice = _upload(personas.officer, "advice_request", advice, data=png(), name="EP report.png")
    infected = _upload(personas.officer, "request", request, data=pdf())
    Document.objects.filter(pk=infected.pk).update(
        scan_state=ScanState.INFECTED, scanned_at=timezone.now(), scan_result="Eicar-Signature"
    )
    _upload(personas.officer, "request", AssessingRequestFactory(), data=pdf())  # another child's

    (section,) = [s for s in all_sections(request.child_id) if s.key == "documents"]
    assert {row["id"] for row in section.rows} == {on_request.pk, on_advice.pk, infected.pk}
    assert all("storage_key" not in row for row in section.rows)
    files = dict(section.files)
    assert files == {
        f"document-{on_request.pk}-EP report.pdf": pdf(),
        f"document-{on_advice.pk}-EP report.png": png(),
    }  # the quarantined file is listed, never copied
    archive = build_archive(request.child_id, child_label="Test child", produced_by="dpo")
    names = zipfile.ZipFile(io.BytesIO(archive.content)).namelist()
    assert "sections/documents.json" in names and f"files/documents/document-{on_advice.pk}-EP report.png" in names


def test_the_retention_run_erases_the_documents_and_their_files(
    personas: Any, django_capture_on_commit_callbacks: Any
) -> None:
    today = timezone.localdate()
    due = ChildFactory(date_of_birth=today.replace(year=today.year - 33))
    request = AssessingRequestFactory(child=due)
    erased = _upload(personas.officer, "request", request, data=pdf())
    kept = _upload(personas.officer, "request", AssessingRequestFactory(), data=pdf())
    admin = make_user(Role.ADMIN, username="retention_admin")
    run = retention.retention_review()
    with django_capture_on_commit_callbacks(execute=False):
        retention.retention_approve(actor=admin, run=run)
    with django_capture_on_commit_callbacks(execute=True):
        retention.retention_apply(run.pk)
    storage = storages["documents"]
    assert not Document.objects.filter(child_id=due.pk).exists()
    assert not storage.exists(erased.storage_key)
    assert Document.objects.filter(pk=kept.pk).exists() and storage.exists(kept.storage_key)
    # The timeline still says a document was added (ids and codes only).
    assert request.events.filter(action="document_uploaded").exists()
    assert not retention.retention_review(today=today + timedelta(days=1)).items.filter(child=due)


def test_an_erasure_rolled_back_keeps_the_files(personas: Any, django_capture_on_commit_callbacks: Any) -> None:
    from django.db import transaction

    from core.documents import documents_erase_for_child

    request = AssessingRequestFactory()
    document = _upload(personas.officer, "request", request, data=pdf())
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        assert documents_erase_for_child(request.child_id) == 1
        raise RuntimeError("the run fails")
    assert Document.objects.filter(pk=document.pk).exists()
    assert storages["documents"].exists(document.storage_key)
