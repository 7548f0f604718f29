"""Document pages: an owner's documents, the upload form and the download
(docs/decisions/0008-documents.md). Every rule is in core/documents.py; these parse and render."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from core.documents import (
    OwnerPolicy,
    document_for_download,
    document_upload,
    documents_of,
    download_refusal,
    log_document_list,
    max_upload_bytes,
    owner_for,
    scan_required,
)
from core.errors import DomainError
from core.forms import GovukDateField, GovukForm
from core.models import Document, DocumentType
from core.pages import answering_domain_errors, domain_error_page, form_add_domain_error
from core.uploads import ALLOWED_TEXT


class DocumentUploadForm(GovukForm):
    file = forms.FileField(
        label="Upload a file",
        error_messages={"required": "Select a file to upload", "empty": "The selected file is empty"},
    )
    doc_type = forms.ChoiceField(label="Type of document", error_messages={"required": "Select the type of document"})
    document_date = GovukDateField(
        label="Date of the document",
        help_text="The date on the document, or when it was received. For example, 27 3 2026",
    )
    supplied_by = forms.CharField(
        label="Supplied by",
        max_length=200,
        help_text="The person, service or school it came from, for example Educational Psychology Service",
        error_messages={"required": "Enter who supplied the document"},
    )
    description = forms.CharField(label="Description", max_length=200, required=False)

    def __init__(self, *args: Any, policy: OwnerPolicy, **kwargs: Any):
        super().__init__(*args, **kwargs)
        labels = dict(DocumentType.choices)
        doc_type = self.fields["doc_type"]
        assert isinstance(doc_type, forms.ChoiceField)
        doc_type.choices = [("", "Select a type")] + [(t, labels[t]) for t in policy.doc_types]
        limit = max_upload_bytes() // (1024 * 1024)
        self.fields["file"].help_text = f"{ALLOWED_TEXT[0].upper()}{ALLOWED_TEXT[1:]}, smaller than {limit} MB"
        self.fields["file"].widget.attrs["accept"] = ".pdf,.docx,.jpg,.jpeg,.png"


def _rows(documents: Any, *, require_scan: bool) -> list[dict[str, Any]]:
    return [
        {"document": d, "downloadable": download_refusal(d.scan_state, require_scan=require_scan) is None}
        for d in documents
    ]


def documents_context(*, policy: OwnerPolicy, owner: Any, user: Any) -> dict[str, Any]:
    """What the documents list needs (also for the owners' own pages, through the
    ``owner_documents`` template tag)."""
    documents = list(documents_of(kind=policy.kind, owner_id=owner.pk))
    return {
        "doc_policy": policy,
        "doc_owner": owner,
        "doc_rows": _rows(documents, require_scan=scan_required()),
        "doc_can_upload": policy.can_upload(user, owner),
        "doc_documents": documents,
    }


@require_GET
@answering_domain_errors
def owner_documents(request: HttpRequest, kind: str, owner_pk: int) -> HttpResponse:
    policy, owner = owner_for(kind=kind, owner_id=owner_pk, user=request.user)
    context = documents_context(policy=policy, owner=owner, user=request.user)
    log_document_list(
        user=request.user, documents=context["doc_documents"], object_type=f"{kind}_documents", path=request.path
    )
    context.update(title=policy.owner_title(owner), back_url=policy.owner_url(owner, request.user))
    return render(request, "core/documents/list.html", context)


@answering_domain_errors
def document_upload_page(request: HttpRequest, kind: str, owner_pk: int) -> HttpResponse:
    policy, owner = owner_for(kind=kind, owner_id=owner_pk, user=request.user)
    if not policy.can_upload(request.user, owner):
        raise PermissionDenied
    form = DocumentUploadForm(request.POST or None, request.FILES or None, policy=policy)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            document = document_upload(
                actor=request.user,
                kind=kind,
                owner=owner,
                doc_type=form.cleaned_data["doc_type"],
                document_date=form.cleaned_data["document_date"],
                supplied_by=form.cleaned_data["supplied_by"],
                description=form.cleaned_data["description"],
                file=upload,
                filename=upload.name or "",
            )
        except DomainError as error:
            form_add_domain_error(form, error)
        else:
            messages.success(request, f"{document.original_filename} uploaded")
            return redirect("documents:owner", kind=kind, owner_pk=owner.pk)
    context = {
        "form": form,
        "title": policy.owner_title(owner),
        "doc_policy": policy,
        "doc_owner": owner,
        "today": timezone.localdate(),
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "core/documents/upload.html", context, status=status)


def attachment_response(document: Document, handle: Any) -> FileResponse:
    """The file as a download, never shown inline: a safe name in both RFC 6266 forms, the type
    the content was checked as, and headers that stop any sniffing or caching."""
    response = FileResponse(handle, content_type=document.content_type)
    response["Content-Disposition"] = content_disposition_header(True, document.original_filename)
    response["Content-Length"] = str(document.size)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "no-store, private"
    return response


@require_GET
def document_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    try:
        document, handle = document_for_download(user=request.user, document_id=pk, path=request.path)
    except DomainError as error:  # still being scanned, or quarantined: 409 with the reason
        return domain_error_page(request, error)
    return attachment_response(document, handle)
