"""API for subject access requests (``/api/subject-access/``), for managers and the data
protection officer: ask for a copy, follow its progress, download it (a sign-in within the last
15 minutes, sudo mode: a session, not a token). Every step is written to the child's access log."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.api import HasCapability
from core.roles import Capability
from core.sudo import SudoFresh
from core.viewsets import RelatedIdField, ServiceViewSet
from requests_app.models import Child, SubjectAccessRequest, SubjectAccessStatus
from requests_app.services import subject_access


class SubjectAccessSerializer(serializers.ModelSerializer[SubjectAccessRequest]):
    child_id = serializers.IntegerField(read_only=True)
    status = serializers.ChoiceField(choices=SubjectAccessStatus.choices, read_only=True)
    sections = serializers.SerializerMethodField()

    class Meta:
        model = SubjectAccessRequest
        fields = [
            "id",
            "child_id",
            "received_on",
            "due_on",
            "status",
            "requested_at",
            "finished_at",
            "archive_bytes",
            "archive_sha256",
            "sections",
        ]
        read_only_fields = fields

    def get_sections(self, sar: SubjectAccessRequest) -> list[dict[str, Any]]:
        sections: list[dict[str, Any]] = sar.manifest.get("sections", [])
        return sections


class SubjectAccessCreateSerializer(serializers.Serializer[Any]):
    child = RelatedIdField(queryset=Child.objects.all(), help_text="The child's id")
    received_on = serializers.DateField(
        required=False, help_text="Day 1 of the one-month time limit; today if left out"
    )


@extend_schema_view(
    list=extend_schema(summary="Subject access requests, newest first"),
    retrieve=extend_schema(summary="One subject access request and its progress"),
)
class SubjectAccessViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ServiceViewSet):
    serializer_class = SubjectAccessSerializer
    permission_classes = [HasCapability]
    required_capability = Capability.DATA_PROTECTION
    action_capabilities = {"create": Capability.DATA_PROTECTION}

    def get_queryset(self) -> QuerySet[SubjectAccessRequest]:
        return SubjectAccessRequest.objects.order_by("-requested_at", "-pk")

    @extend_schema(
        request=SubjectAccessCreateSerializer,
        responses={201: SubjectAccessSerializer},
        summary="Ask for a copy of everything held about a child (built in the background)",
    )
    def create(self, request: Request) -> Response:
        data = self.validated(SubjectAccessCreateSerializer)
        assert isinstance(request.user, User)
        sar = subject_access.sar_request(actor=request.user, **data)
        return Response(SubjectAccessSerializer(sar).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        responses={
            (200, "application/zip"): OpenApiResponse(OpenApiTypes.BINARY, description="The ZIP"),
            403: OpenApiResponse(description="Not permitted, or `reauth_required`: sign in again first"),
            409: OpenApiResponse(description="The copy is not ready yet"),
        },
        summary="Download the copy (a browser session signed in within 15 minutes; never a token)",
    )
    @action(detail=True, methods=["get"], permission_classes=[HasCapability, SudoFresh])
    def download(self, request: Request, pk: str) -> HttpResponse:
        sar = self.get_object()
        assert isinstance(request.user, User)
        content = subject_access.sar_download(actor=request.user, sar=sar, path=request.path)
        response = HttpResponse(content, content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="subject-access-{sar.pk}-child-{sar.child_id}.zip"'
        return response
