"""The SEN2 return API (managers only, SEN2_RETURN): list and queue returns, read one with its
validation report and figures, download its file (each download in the access log)."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core import sudo
from core.api import HasCapability
from core.roles import Capability
from core.viewsets import DeclaredCapabilities
from reporting.models import Sen2Return, Sen2ReturnStatus
from reporting.sen2.services import sen2_return_download, sen2_return_request


class Sen2ReturnSerializer(serializers.ModelSerializer[Sen2Return]):
    requested_by = serializers.CharField(source="requested_by.username", read_only=True)

    class Meta:
        model = Sen2Return
        fields = [
            "id",
            "census_date",
            "status",
            "progress",
            "requested_by",
            "requested_at",
            "finished_at",
            "persons",
            "error_count",
            "query_count",
            "failure",
        ]
        read_only_fields = fields


class Sen2ReturnDetailSerializer(Sen2ReturnSerializer):
    report = serializers.JSONField(read_only=True)

    class Meta(Sen2ReturnSerializer.Meta):
        fields = [*Sen2ReturnSerializer.Meta.fields, "report"]
        read_only_fields = fields


class Sen2RequestSerializer(serializers.Serializer[Any]):
    census_date = serializers.DateField()


class _Sen2View(APIView):
    permission_classes = [HasCapability]
    required_capability = Capability.SEN2_RETURN


class Sen2ReturnListView(DeclaredCapabilities, _Sen2View):
    action_capabilities = {"post": Capability.SEN2_RETURN}

    @extend_schema(responses=Sen2ReturnSerializer(many=True))
    def get(self, request: Request) -> Response:
        rows = Sen2Return.objects.select_related("requested_by").defer("content", "report")[:50]
        return Response(Sen2ReturnSerializer(rows, many=True).data)

    @extend_schema(request=Sen2RequestSerializer, responses={202: Sen2ReturnSerializer})
    def post(self, request: Request) -> Response:
        given = self.validated(Sen2RequestSerializer)
        row = sen2_return_request(census=given["census_date"], user=request.user)
        return Response(Sen2ReturnSerializer(row).data, status=status.HTTP_202_ACCEPTED)


class Sen2ReturnDetailView(_Sen2View):
    @extend_schema(responses=Sen2ReturnDetailSerializer)
    def get(self, request: Request, pk: int) -> Response:
        row = get_object_or_404(Sen2Return.objects.select_related("requested_by").defer("content"), pk=pk)
        return Response(Sen2ReturnDetailSerializer(row).data)


class Sen2ReturnFileView(_Sen2View):
    # The whole caseload in one file: a session signed in (or confirmed) within the sudo window;
    # an API token is never fresh (core/sudo.py).
    permission_classes = [HasCapability, sudo.SudoFresh]

    @extend_schema(responses={(200, "application/xml"): OpenApiTypes.BINARY})
    def get(self, request: Request, pk: int) -> HttpResponse:
        row = get_object_or_404(Sen2Return, pk=pk, status=Sen2ReturnStatus.DONE)
        response = HttpResponse(
            sen2_return_download(row=row, user=request.user, path=request.path), content_type="application/xml"
        )
        response["Content-Disposition"] = f'attachment; filename="{row.filename}"'
        return response
