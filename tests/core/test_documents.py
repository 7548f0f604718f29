"""Documents on a case (core/documents.py): uploading through the page and the API, the scan
states and the download, the timeline, the access log, and who may see what on each kind of
record (a head teacher on the panel sees no document)."""

from __future__ import annotations

import io
from datetime import date
from urllib.parse import quote

import pytest
from django.core.files.storage import storages
from django.urls import reverse

from core.documents import document_scan, document_upload, pending_document_ids
from core.models import AccessLog, Document, DocumentType, ScanState
from core.roles import Role
from core.scanning import ScannerUnavailable, ScanOutcome
from placements.models import PlacementEvent
from requests_app.models import AdviserType, RequestEvent
from tests.conftest import make_user
from tests.core.document_files import docx, pdf, png
from tests.panels.factories import ReferralFactory, make_panel
from tests.panels.test_api import circulated
from tests.placements.factories import ContractFactory
from tests.requests_app.factories import AdviceRequestFactory, AssessingRequestFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("documents_storage")]


def _form(name: str = "EP report.pdf", data: bytes | None = None, **fields):
    upload = io.BytesIO(pdf() if data is None else data)
    upload.name = name
    return {
        "file": upload,
        "doc_type": fields.pop("doc_type", DocumentType.EP_ADVICE.value),
        "document_date_day": "3",
        "document_date_month": "11",
        "document_date_year": "2026",
        "supplied_by": "Educational Psychology Service",
        "description": "",
        **fields,
    }


def _file(actor, kind, owner, *, name="Advice.pdf", data=None, doc_type=DocumentType.EP_ADVICE.value):
    return document_upload(
        actor=actor,
        kind=kind,
        owner=owner,
        doc_type=doc_type,
        document_date=date(2026, 11, 3),
        supplied_by="Educational Psychology Service",
        file=io.BytesIO(pdf() if data is None else data),
        filename=name,
    )


# --- Uploading through the page ---------------------------------------------------------------


@pytest.mark.embedded
def test_officer_uploads_a_document_to_a_request_and_it_is_listed_and_on_the_timeline(personas, page_client_for):
    request = AssessingRequestFactory()
    client = page_client_for(personas.officer)
    response = client.post(reverse("documents:upload", args=["request", request.pk]), _form())
    assert response.status_code == 302
    document = Document.objects.get()
    assert (document.owner_kind, document.owner_id, document.child_id) == ("request", request.pk, request.child_id)
    assert document.original_filename == "EP report.pdf"
    assert document.content_type == "application/pdf"
    assert document.scan_state == ScanState.NOT_SCANNED  # no scanner configured here
    assert "EP report" not in document.storage_key
    assert storages["documents"].exists(document.storage_key)
    event = RequestEvent.objects.get(request=request, action="document_uploaded")
    assert event.payload["document_id"] == document.pk and event.actor == personas.officer
    page = client.get(reverse("requests:detail", args=[request.pk])).content.decode()
    assert "EP report.pdf" in page and "Not scanned" in page
    # The timeline names the type of document, not a generic line.
    assert "Educational psychology advice uploaded" in page and "Document added" not in page
    assert reverse("documents:download", args=[document.pk]) in page


def test_a_traversal_filename_is_stored_under_a_random_key_with_its_last_part_as_the_name(personas, page_client_for):
    request = AssessingRequestFactory()
    client = page_client_for(personas.officer)
    response = client.post(
        reverse("documents:upload", args=["request", request.pk]), _form(name="../../../etc/cron.d/advice.pdf")
    )
    assert response.status_code == 302
    document = Document.objects.get()
    assert document.original_filename == "advice.pdf"
    assert ".." not in document.storage_key and "cron" not in document.storage_key
    path = storages["documents"].path(document.storage_key)
    assert path.startswith(str(storages["documents"].location))


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("advice.pdf", b"GIF89a not a pdf at all", "is not a real PDF"),
        ("advice.pdf", png(), "its content is a PNG image"),
        ("advice.png", png() + b"<html><script>alert(1)</script></html>", "cannot be accepted"),
        ("advice.exe", b"MZ\x90\x00", "must be a PDF, a Word document (DOCX), a JPEG or a PNG"),
    ],
)
def test_a_refused_file_is_named_in_the_error_summary_and_nothing_is_stored(
    personas, page_client_for, documents_storage, name, data, message
):
    request = AssessingRequestFactory()
    client = page_client_for(personas.officer)
    response = client.post(reverse("documents:upload", args=["request", request.pk]), _form(name=name, data=data))
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page and 'href="#id_file"' in page and message in page
    assert not Document.objects.exists()
    assert not RequestEvent.objects.filter(action="document_uploaded").exists()
    assert not documents_storage.exists() or not any(p.is_file() for p in documents_storage.rglob("*"))


def test_an_oversize_file_is_refused_before_it_is_read(personas, page_client_for, settings):
    settings.DOCUMENTS_MAX_UPLOAD_BYTES = 1024 * 1024
    request = AssessingRequestFactory()
    client = page_client_for(personas.officer)
    big = pdf() + b"\n" * (1024 * 1024)
    response = client.post(reverse("documents:upload", args=["request", request.pk]), _form(data=big))
    assert response.status_code == 400
    assert "must be smaller than 1 MB" in response.content.decode()
    assert not Document.objects.exists()


def test_missing_fields_are_each_named(personas, page_client_for):
    request = AssessingRequestFactory()
    client = page_client_for(personas.officer)
    response = client.post(
        reverse("documents:upload", args=["request", request.pk]),
        {
            "doc_type": "",
            "supplied_by": "",
            "document_date_day": "",
            "document_date_month": "",
            "document_date_year": "",
        },
    )
    page = response.content.decode()
    assert response.status_code == 400
    for message in ("Select a file to upload", "Select the type of document", "Enter who supplied the document"):
        assert message in page


def test_a_type_not_offered_for_the_record_is_refused(personas):
    contract = ContractFactory()
    with pytest.raises(Exception) as error:
        _file(personas.finance, "contract", contract, doc_type=DocumentType.EP_ADVICE.value)
    assert getattr(error.value, "field", None) == "doc_type"


def test_a_docx_is_accepted(personas):
    document = _file(personas.officer, "request", AssessingRequestFactory(), name="advice.docx", data=docx())
    assert document.content_type.endswith("wordprocessingml.document")


# --- Scanning and downloading --------------------------------------------------------------------


def _scanner_on(settings):
    settings.CLAMAV_SOCKET = "/nonexistent/clamd.sock"  # configured, so uploads wait for a scan


def test_a_document_cannot_be_downloaded_before_it_is_scanned(personas, page_client_for, api_client_for, settings):
    _scanner_on(settings)
    document = _file(personas.officer, "request", AssessingRequestFactory())
    assert document.scan_state == ScanState.PENDING
    page = page_client_for(personas.officer).get(reverse("documents:download", args=[document.pk]))
    assert page.status_code == 409 and "still being checked for viruses" in page.content.decode()
    api = api_client_for(personas.officer).get(f"/api/documents/{document.pk}/download/")
    assert api.status_code == 409
    assert not AccessLog.objects.filter(action="download").exists()


def test_the_scan_is_queued_only_once_the_upload_commits_and_a_broker_outage_loses_nothing(
    personas, settings, monkeypatch, django_capture_on_commit_callbacks
):
    _scanner_on(settings)
    sent = []
    monkeypatch.setattr("core.documents.current_app.send_task", lambda name, args: sent.append((name, args)))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        document = _file(personas.officer, "request", AssessingRequestFactory())
    assert sent == []  # nothing before the commit
    for callback in callbacks:
        callback()
    assert sent == [("core.scan_document", [document.pk])]

    def broker_down(name, args):
        raise ConnectionError("broker down")

    monkeypatch.setattr("core.documents.current_app.send_task", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        second = _file(personas.officer, "request", AssessingRequestFactory())
    second.refresh_from_db()
    assert second.scan_state == ScanState.PENDING  # kept; the periodic sweep queues it again
    assert second.pk in pending_document_ids(older_than_seconds=-60)


def test_clamd_unreachable_leaves_the_document_pending_for_a_retry(personas, settings):
    _scanner_on(settings)
    document = _file(personas.officer, "request", AssessingRequestFactory())
    with pytest.raises(ScannerUnavailable):
        document_scan(document_id=document.pk)
    document.refresh_from_db()
    assert document.scan_state == ScanState.PENDING


def test_a_clean_document_downloads_as_an_attachment_and_is_logged(personas, page_client_for, settings):
    _scanner_on(settings)
    request = AssessingRequestFactory()
    document = _file(personas.officer, "request", request, name="Évaluation EP (final).pdf")
    document_scan(document_id=document.pk, scan=lambda data: ScanOutcome(infected=False))
    document.refresh_from_db()
    assert document.scan_state == ScanState.CLEAN and document.scanned_at is not None
    response = page_client_for(personas.officer).get(reverse("documents:download", args=[document.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == pdf()
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=utf-8''{quote('Évaluation EP (final).pdf')}" in disposition
    assert "no-store" in response["Cache-Control"]
    log = AccessLog.objects.get(action="download")
    assert (log.user, log.child_id, log.object_type, log.object_id) == (
        personas.officer,
        request.child_id,
        "document",
        document.pk,
    )


def test_a_scan_run_twice_changes_nothing_the_second_time(personas, settings):
    _scanner_on(settings)
    document = _file(personas.officer, "request", AssessingRequestFactory())
    document_scan(document_id=document.pk, scan=lambda data: ScanOutcome(infected=False))
    again = document_scan(document_id=document.pk, scan=lambda data: ScanOutcome(infected=True, signature="x"))
    assert again is not None and again.scan_state == ScanState.CLEAN


def test_an_infected_document_is_quarantined_on_the_timeline_and_never_downloadable(
    personas, page_client_for, settings
):
    _scanner_on(settings)
    request = AssessingRequestFactory()
    document = _file(personas.officer, "request", request)
    document_scan(document_id=document.pk, scan=lambda data: ScanOutcome(infected=True, signature="Eicar-Test"))
    document.refresh_from_db()
    assert document.scan_state == ScanState.INFECTED and document.scan_result == "Eicar-Test"
    event = RequestEvent.objects.get(request=request, action="document_quarantined")
    assert event.actor is None and event.payload["document_id"] == document.pk
    client = page_client_for(personas.officer)
    assert client.get(reverse("documents:download", args=[document.pk])).status_code == 409
    page = client.get(reverse("requests:detail", args=[request.pk])).content.decode()
    assert "Quarantined" in page
    assert reverse("documents:download", args=[document.pk]) not in page


def test_with_scanning_required_a_not_scanned_document_cannot_be_downloaded(personas, page_client_for, settings):
    document = _file(personas.officer, "request", AssessingRequestFactory())
    assert document.scan_state == ScanState.NOT_SCANNED
    settings.DOCUMENTS_REQUIRE_SCAN = True
    response = page_client_for(personas.officer).get(reverse("documents:download", args=[document.pk]))
    assert response.status_code == 409


def test_with_scanning_required_and_no_scanner_uploads_are_refused(personas, settings):
    settings.DOCUMENTS_REQUIRE_SCAN = True
    with pytest.raises(Exception) as error:
        _file(personas.officer, "request", AssessingRequestFactory())
    assert "virus scanner is not configured" in str(error.value)
    assert not Document.objects.exists()


def test_a_contract_document_goes_on_the_contract_history(personas):
    contract = ContractFactory()
    document = _file(personas.finance, "contract", contract, doc_type=DocumentType.CONTRACT.value)
    event = PlacementEvent.objects.get(contract=contract, action="document_uploaded")
    assert event.payload["document_id"] == document.pk


# --- Who sees what: each kind of record, each role ----------------------------------------------

SEES_REQUEST_DOCUMENTS = {Role.SEN_OFFICER, Role.PROVISION_EVALUATOR, Role.PANEL_CHAIR, Role.MANAGER}


@pytest.mark.parametrize("role", list(Role))
def test_request_documents_are_seen_by_the_roles_that_see_the_request(role, page_client_for, api_client_for, personas):
    document = _file(personas.officer, "request", AssessingRequestFactory())
    user = make_user(role)
    expected = 200 if role in SEES_REQUEST_DOCUMENTS else 404
    page = page_client_for(user)
    assert page.get(reverse("documents:download", args=[document.pk])).status_code == expected
    assert page.get(reverse("documents:owner", args=["request", document.owner_id])).status_code == expected
    api = api_client_for(user)
    assert api.get(f"/api/documents/{document.pk}/").status_code == expected
    assert api.get(f"/api/documents/{document.pk}/download/").status_code == expected
    listed = api.get("/api/documents/").json()["results"]
    assert [row["id"] for row in listed] == ([document.pk] if expected == 200 else [])


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (Role.SEN_OFFICER, 200),
        (Role.PROVISION_EVALUATOR, 200),
        (Role.MANAGER, 403),
        (Role.PANEL_CHAIR, 403),
        (Role.EDUCATIONAL_PSYCHOLOGIST, 404),
        (Role.FINANCE_OFFICER, 404),
        (Role.PANEL_MEMBER, 404),
    ],
)
def test_who_may_upload_to_a_request(role, status, page_client_for):
    request = AssessingRequestFactory()
    response = page_client_for(make_user(role)).get(reverse("documents:upload", args=["request", request.pk]))
    assert response.status_code == status


def test_the_ep_sees_and_adds_documents_on_ep_advice_only(personas, page_client_for):
    ep_advice = AdviceRequestFactory()
    health = AdviceRequestFactory(request=ep_advice.request, adviser_type=AdviserType.HEALTH)
    client = page_client_for(personas.ep)
    assert client.get(reverse("documents:upload", args=["advice_request", ep_advice.pk])).status_code == 200
    assert client.get(reverse("documents:upload", args=["advice_request", health.pk])).status_code == 404
    # Nor the request's own documents: the EP does not see the request.
    on_request = _file(personas.officer, "request", ep_advice.request)
    assert client.get(reverse("documents:download", args=[on_request.pk])).status_code == 404
    on_health = _file(personas.officer, "advice_request", health, doc_type=DocumentType.HEALTH_ADVICE.value)
    assert client.get(reverse("documents:download", args=[on_health.pk])).status_code == 404


def test_a_head_teacher_on_the_panel_sees_no_document_even_on_a_referral_they_may_read(page_client_for, api_client_for):
    panel = make_panel()
    referral = ReferralFactory()
    circulated(panel, referral)
    from panels.models import Referral

    head = panel.head.user
    assert Referral.objects.visible_to(head).filter(pk=referral.pk).exists()  # the minimised papers
    paper = _file(panel.officer, "referral", referral, name="Panel paper.pdf", doc_type=DocumentType.PANEL_PAPER.value)
    on_request = _file(panel.officer, "request", referral.request)

    client = page_client_for(head)
    for document in (paper, on_request):
        assert client.get(reverse("documents:download", args=[document.pk])).status_code == 404
    assert client.get(reverse("documents:owner", args=["referral", referral.pk])).status_code == 404
    assert "Panel paper.pdf" not in client.get(reverse("panels:referral-detail", args=[referral.pk])).content.decode()
    api = api_client_for(head)
    assert api.get("/api/documents/").json()["results"] == []
    assert api.get(f"/api/documents/{paper.pk}/").status_code == 404

    # A non-head-teacher member on the same meeting does see the panel paper.
    member = page_client_for(panel.sen.user)
    assert member.get(reverse("documents:download", args=[paper.pk])).status_code == 200
    assert page_client_for(panel.chair).get(reverse("documents:download", args=[paper.pk])).status_code == 200


@pytest.mark.parametrize(
    ("role", "status"),
    [(Role.FINANCE_OFFICER, 200), (Role.MANAGER, 200), (Role.SEN_OFFICER, 404), (Role.PANEL_MEMBER, 404)],
)
def test_contract_documents_are_seen_by_placement_roles(role, status, personas, page_client_for):
    contract = ContractFactory()
    document = _file(personas.finance, "contract", contract, doc_type=DocumentType.CONTRACT.value)
    assert page_client_for(make_user(role)).get(reverse("documents:download", args=[document.pk])).status_code == status


def test_an_unknown_kind_of_record_is_not_found(personas, page_client_for):
    assert page_client_for(personas.officer).get("/documents/letters/1/").status_code == 404


# --- The API ------------------------------------------------------------------------------------


@pytest.mark.embedded
def test_api_upload_list_metadata_and_download(personas, api_client_for):
    request = AssessingRequestFactory()
    api = api_client_for(personas.officer)
    upload = io.BytesIO(pdf())
    upload.name = "Request letter.pdf"
    created = api.post(
        "/api/documents/",
        {
            "owner_kind": "request",
            "owner_id": request.pk,
            "doc_type": "request_letter",
            "document_date": "2026-11-01",
            "supplied_by": "The child's parent",
            "file": upload,
        },
        format="multipart",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["original_filename"] == "Request letter.pdf" and body["scan_state"] == "not_scanned"
    assert body["downloadable"] is True and "storage_key" not in body
    listed = api.get("/api/documents/", {"owner_kind": "request", "owner_id": request.pk}).json()
    assert [row["id"] for row in listed["results"]] == [body["id"]]
    assert AccessLog.objects.filter(action="list", child_id=request.child_id).exists()
    assert api.get(f"/api/documents/{body['id']}/").json()["sha256"] == body["sha256"]
    download = api.get(f"/api/documents/{body['id']}/download/")
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment;")
    assert b"".join(download.streaming_content) == pdf()


def test_api_upload_refusals_name_the_field(personas, api_client_for):
    request = AssessingRequestFactory()
    api = api_client_for(personas.officer)
    upload = io.BytesIO(png() + b"<html><script>x</script></html>")
    upload.name = "photo.png"
    response = api.post(
        "/api/documents/",
        {
            "owner_kind": "request",
            "owner_id": request.pk,
            "doc_type": "school_evidence",
            "document_date": "2026-11-01",
            "supplied_by": "School",
            "file": upload,
        },
        format="multipart",
    )
    assert response.status_code == 400
    assert "file" in response.json()["errors"]


def test_api_upload_to_a_record_the_user_cannot_see_is_not_found(personas, api_client_for):
    request = AssessingRequestFactory()
    upload = io.BytesIO(pdf())
    upload.name = "a.pdf"
    response = api_client_for(personas.finance).post(
        "/api/documents/",
        {
            "owner_kind": "request",
            "owner_id": request.pk,
            "doc_type": "other",
            "document_date": "2026-11-01",
            "supplied_by": "x",
            "file": upload,
        },
        format="multipart",
    )
    assert response.status_code == 404


def test_api_upload_by_a_role_that_files_nothing_is_refused_before_the_body_is_read(personas, api_client_for):
    response = api_client_for(personas.manager).post("/api/documents/", {"nonsense": 1}, format="multipart")
    assert response.status_code == 403 and "errors" not in response.json()


def test_api_needs_sign_in(api_client_for):
    assert api_client_for(None).get("/api/documents/").status_code == 401


def test_the_schema_describes_the_document_endpoints(personas, api_client_for):
    schema = api_client_for(personas.admin).get("/api/schema/", {"format": "json"}).json()
    assert "/api/documents/" in schema["paths"] and "post" in schema["paths"]["/api/documents/"]
    assert "multipart/form-data" in schema["paths"]["/api/documents/"]["post"]["requestBody"]["content"]
    assert "/api/documents/{id}/download/" in schema["paths"]


def test_check_deploy_reports_required_scanning_without_a_scanner(settings):
    from core.documents import check_scanner_for_production

    settings.DOCUMENTS_REQUIRE_SCAN = True
    assert [m.id for m in check_scanner_for_production()] == ["senportal.E101"]
    settings.CLAMAV_HOST = "clamav.internal"
    assert check_scanner_for_production() == []
