"""Documents in the REST API: list, upload (multipart), metadata and download, through the same
functions as the pages (core/documents.py), so the same people see the same documents."""

from __future__ import annotations

import re
from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from core.document_views import attachment_response
from core.documents import (
    document_for_download,
    document_upload,
    documents_visible_to,
    download_refusal,
    log_document_list,
    owner_for,
    owner_kinds,
    scan_required,
)
from core.ids import MAX_ID, id_error_message
from core.models import Document, DocumentType, ScanState
from core.roles import Capability
from core.viewsets import IdField, ServiceViewSet


class DocumentSerializer(serializers.ModelSerializer[Document]):
    downloadable = serializers.SerializerMethodField()

    class Meta:
        model = Document
        fields = [
            "id",
            "owner_kind",
            "owner_id",
            "doc_type",
            "document_date",
            "supplied_by",
            "description",
            "uploaded_by",
            "uploaded_at",
            "original_filename",
            "content_type",
            "size",
            "sha256",
            "scan_state",
            "scanned_at",
            "downloadable",
        ]
        read_only_fields = fields

    def get_downloadable(self, document: Document) -> bool:
        return download_refusal(document.scan_state, require_scan=scan_required()) is None


class DocumentUploadSerializer(serializers.Serializer[Any]):
    owner_kind = serializers.CharField(max_length=30, help_text="request, advice_request, referral or contract")
    owner_id = IdField()
    doc_type = serializers.ChoiceField(choices=DocumentType.choices)
    document_date = serializers.DateField()
    supplied_by = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    file = serializers.FileField(help_text="A PDF, DOCX, JPEG or PNG file")


_OWNER_PARAMETERS = [
    OpenApiParameter("owner_kind", str, description="Only documents on this kind of record", enum=None),
    OpenApiParameter("owner_id", int, description="Only documents on this record (with owner_kind)"),
]


@extend_schema_view(
    list=extend_schema(summary="Documents you may see", parameters=_OWNER_PARAMETERS),
    retrieve=extend_schema(summary="A document's details"),
)
class DocumentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ServiceViewSet):
    """Documents on requests, advice requests, panel referrals and contracts. Reading one
    needs sight of its record; a head teacher on the panel sees none. Listing and downloading
    write access-log rows."""

    serializer_class = DocumentSerializer
    filter_backends: list[Any] = []
    parser_classes = [MultiPartParser]  # the upload; reads take no body
    # The role check before the body is read (core.viewsets.ServiceViewSet); which records a
    # role may file on is the owner's policy, checked by the service.
    action_capabilities = {"create": Capability.DOCUMENT_UPLOAD}

    def get_queryset(self) -> QuerySet[Document]:
        queryset = documents_visible_to(self.request.user)
        if self.action == "list":
            params = self.request.query_params
            # As the schema says: any kind and any whole number; a kind of record that holds no
            # documents, or a number that is no record's id, matches nothing.
            kind = params.get("owner_kind")
            if kind:
                queryset = queryset.filter(owner_kind=kind) if kind in owner_kinds() else queryset.none()
            raw_id = params.get("owner_id")
            if raw_id is not None:
                if not re.fullmatch(r"[+-]?\d{1,30}", raw_id.strip()):
                    raise ValidationError({"owner_id": [id_error_message("owner_id")]})
                owner_id = int(raw_id)
                queryset = queryset.filter(owner_id=owner_id) if 1 <= owner_id <= MAX_ID else queryset.none()
        return queryset.order_by("-uploaded_at", "-pk")

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        rows = list(page or [])
        log_document_list(user=request.user, documents=rows, object_type="documents", path=request.path)
        return self.get_paginated_response(self.get_serializer(rows, many=True).data)

    @extend_schema(
        summary="Upload a document",
        request={"multipart/form-data": DocumentUploadSerializer},
        responses={201: DocumentSerializer},
    )
    def create(self, request: Request) -> Response:
        data = self.validated(DocumentUploadSerializer)
        _, owner = owner_for(kind=data["owner_kind"], owner_id=data["owner_id"], user=request.user)
        upload = data["file"]
        document = document_upload(
            actor=request.user,
            kind=data["owner_kind"],
            owner=owner,
            doc_type=data["doc_type"],
            document_date=data["document_date"],
            supplied_by=data["supplied_by"],
            description=data["description"],
            file=upload,
            filename=upload.name or "",
        )
        return Response(DocumentSerializer(document).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Download a document",
        responses={
            (200, "application/octet-stream"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The file, as an attachment"
            ),
            409: OpenApiResponse(description="Not downloadable yet (being scanned) or quarantined"),
        },
    )
    @action(detail=True, methods=["get"])
    def download(self, request: Request, pk: str | None = None) -> FileResponse:
        document = self.get_object()
        document, handle = document_for_download(user=request.user, document_id=document.pk, path=request.path)
        return attachment_response(document, handle)


__all__ = ["DocumentViewSet", "ScanState"]
