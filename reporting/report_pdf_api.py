"""The committee report's PDF in the API (managers only, REPORTS_PREPARE, like the page): a
saved version's PDF, where it stands, asking for it (again, after a failure), and the stored
file itself, the same bytes every time (a fresh sign-in, the export's purpose, an access-log
row), as the page's download (``reporting.views.report_pdf``)."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core import sudo
from core.access import access_log_record
from core.api import HasCapability
from core.exports import EXPORT_PURPOSES, PURPOSE_PARAM
from core.models import AccessAction
from core.roles import Capability
from core.viewsets import DeclaredCapabilities
from reporting import services
from reporting.models import ReportEdition, ReportPdf


class ReportPdfSerializer(serializers.ModelSerializer[ReportPdf]):
    edition = serializers.IntegerField(source="edition.pk", read_only=True)
    month = serializers.DateField(source="edition.month", read_only=True, help_text="The month reported")
    district = serializers.IntegerField(
        source="edition.district_id", read_only=True, allow_null=True, help_text="Empty: all districts"
    )
    version = serializers.IntegerField(source="edition.version", read_only=True)
    requested_by = serializers.CharField(source="requested_by.username", read_only=True, allow_null=True)
    filename = serializers.CharField(read_only=True)
    file_url = serializers.SerializerMethodField(help_text="The stored file, once the status is done")

    class Meta:
        model = ReportPdf
        fields = [
            "id",
            "edition",
            "month",
            "district",
            "version",
            "status",
            "requested_by",
            "requested_at",
            "rendered_at",
            "size",
            "sha256",
            "filename",
            "failure",
            "file_url",
        ]
        read_only_fields = fields

    def get_file_url(self, row: ReportPdf) -> str | None:
        if row.status != ReportPdf.Status.DONE:
            return None
        return reverse("report-edition-pdf-file", args=[row.edition_id])


class _ReportPdfView(APIView):
    permission_classes = [HasCapability]
    required_capability = Capability.REPORTS_PREPARE

    def edition(self, pk: int) -> ReportEdition:
        return get_object_or_404(ReportEdition, pk=pk)


class ReportEditionPdfView(DeclaredCapabilities, _ReportPdfView):
    action_capabilities = {"post": Capability.REPORTS_PREPARE}

    @extend_schema(
        responses=ReportPdfSerializer,
        description="The PDF of a saved version of the committee report: queued, running, done (with its "
        "SHA-256, size and when it was drawn) or failed. 404 if it has not been asked for.",
    )
    def get(self, request: Request, pk: int) -> Response:
        pdf = ReportPdf.objects.select_related("edition", "requested_by").filter(edition=self.edition(pk)).first()
        if pdf is None:
            raise NotFound("No PDF has been asked for for this version: POST to ask for it.")
        return Response(ReportPdfSerializer(pdf).data)

    @extend_schema(
        request=None,
        responses={202: ReportPdfSerializer, 200: ReportPdfSerializer},
        description="Ask for the version's PDF (202: queued for the worker, or queued again after a failure); "
        "200 with the PDF as it is when it is already being prepared or ready (a ready file is never redrawn).",
    )
    def post(self, request: Request, pk: int) -> Response:
        edition = self.edition(pk)
        pdf, queued = services.report_pdf_request(edition_id=edition.pk, requested_by=request.user)
        pdf = ReportPdf.objects.select_related("edition", "requested_by").get(pk=pdf.pk)
        return Response(ReportPdfSerializer(pdf).data, status=status.HTTP_202_ACCEPTED if queued else 200)


class ReportEditionPdfFileView(_ReportPdfView):
    # A record leaving the system: a session signed in (or confirmed) within the sudo window (an
    # API token is never fresh, core/sudo.py), the purpose named, and an access-log row.
    permission_classes = [HasCapability, sudo.SudoFresh]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                PURPOSE_PARAM,
                str,
                required=True,
                enum=[code for code, _ in EXPORT_PURPOSES],
                description="Why the file is being downloaded (kept in the access log)",
            )
        ],
        responses={(200, "application/pdf"): OpenApiTypes.BINARY},
        description="The stored PDF, exactly as drawn (the SHA-256 in the status). 409 while it is not ready.",
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        purpose = request.query_params.get(PURPOSE_PARAM, "")
        if purpose not in dict(EXPORT_PURPOSES):
            raise ValidationError({PURPOSE_PARAM: ["Give the purpose of the download, one of the listed codes."]})
        pdf = get_object_or_404(ReportPdf, edition=self.edition(pk))
        content = services.report_pdf_bytes(pdf)
        with transaction.atomic():
            access_log_record(
                user=request.user,
                child_id=None,
                object_type="dashboard_report_pdf",
                object_id=pdf.pk,
                action=AccessAction.EXPORT,
                path=request.get_full_path(),
            )
        response = HttpResponse(content, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{pdf.filename}"'
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "no-store"
        return response
