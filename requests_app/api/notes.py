"""The API for the contact log and corrections (issue 13, notes).

``/api/case-notes/``: the notes the user may read (those of the requests they may open), filtered
by ``?request=<id>``; ``POST`` logs one. ``POST /api/requests/<id>/corrections/`` corrects a
child's detail or a request's date (``CorrectionsMixin`` on the requests viewset). Each calls
one service; domain errors become 400/403/409 in ``core.api.exception_handler``. Reads leave
access-log rows in the read's transaction.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from core.api import HasCapability, IdFilter, StrictFilterBackend
from core.roles import Capability
from core.viewsets import IdField, LoggedReadViewSet
from requests_app import contact_log, corrections
from requests_app.api.serializers import UserRefSerializer, _inline_choice
from requests_app.models import NOTE_DIRECTION_CHOICES, NOTE_KIND_CHOICES, NOTE_PARTY_CHOICES, CaseNote
from requests_app.services.corrections import child_correct, request_correct_date
from requests_app.services.notes import case_note_add

# --- Serializers -------------------------------------------------------------------------------


class CaseNoteSerializer(serializers.ModelSerializer[CaseNote]):
    recorded_by = UserRefSerializer(read_only=True)
    # Inline enums: "kind", "party" and "direction" name other choice sets elsewhere in the API.
    kind = _inline_choice(NOTE_KIND_CHOICES, read_only=True)
    party = _inline_choice(NOTE_PARTY_CHOICES, allow_blank=True, read_only=True)
    direction = _inline_choice(NOTE_DIRECTION_CHOICES, allow_blank=True, read_only=True)

    class Meta:
        model = CaseNote
        fields = [
            "id",
            "request",
            "kind",
            "happened_on",
            "with_whom",
            "party",
            "direction",
            "summary",
            "recorded_by",
            "recorded_at",
        ]
        read_only_fields = fields


class CaseNoteInputSerializer(serializers.Serializer[dict[str, Any]]):
    request = IdField()
    kind = _inline_choice(NOTE_KIND_CHOICES)
    happened_on = serializers.DateField()
    with_whom = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=contact_log.WITH_WHOM_MAX
    )
    party = _inline_choice(NOTE_PARTY_CHOICES, required=False, allow_blank=True, default="")
    direction = _inline_choice(NOTE_DIRECTION_CHOICES, required=False, allow_blank=True, default="")
    summary = serializers.CharField(max_length=contact_log.SUMMARY_MAX)


class CorrectionInputSerializer(serializers.Serializer[dict[str, Any]]):
    fact = _inline_choice(
        [(fact.value, label) for fact, label in corrections.FACT_LABELS.items()],
        help_text="The detail or date to correct",
    )
    value = serializers.JSONField(
        allow_null=True,
        help_text=(
            'The correct value: a date as YYYY-MM-DD; the name as {"forename": ..., "surname": ...}; the '
            "school's or district's id (null: no school); a need's SEN2 code; the UPN or postcode as text"
        ),
    )
    reason = serializers.CharField(max_length=corrections.REASON_MAX)


class CorrectionResultSerializer(serializers.Serializer[dict[str, Any]]):
    fact = serializers.CharField(read_only=True)
    request = serializers.IntegerField(read_only=True)
    child = serializers.IntegerField(read_only=True)


# --- Views --------------------------------------------------------------------------------------


class CaseNoteFilter(django_filters.FilterSet):
    request = IdFilter(field_name="request_id")

    class Meta:
        model = CaseNote
        fields = ["request"]


@extend_schema_view(
    list=extend_schema(
        summary="Contact log entries", description="Newest first. Each child listed is recorded in the access log."
    ),
    retrieve=extend_schema(summary="One contact log entry"),
)
class CaseNoteViewSet(LoggedReadViewSet):
    """Phone calls, meetings, emails and letters with the family and professionals, and case
    notes, on the requests the user may open."""

    access_object_type = "case_note"

    permission_classes = [HasCapability]
    required_capability: Capability | None = Capability.REQUEST_VIEW
    queryset = CaseNote.objects.all()  # for the schema; get_queryset narrows it
    serializer_class = CaseNoteSerializer
    filter_backends = [StrictFilterBackend]
    filterset_class = CaseNoteFilter

    action_capabilities = {"create": Capability.CASE_NOTE_ADD}

    @property
    def write_capability(self) -> Capability | None:
        return Capability.CASE_NOTE_ADD if self.action == "create" else None

    def get_queryset(self) -> QuerySet[CaseNote]:
        if getattr(self, "swagger_fake_view", False):
            return CaseNote.objects.none()
        return (
            CaseNote.objects.visible_to(self.request.user)
            .select_related("recorded_by", "request")
            .order_by("-happened_on", "-recorded_at", "-pk")
        )

    @extend_schema(
        summary="Log a contact or a case note",
        request=CaseNoteInputSerializer,
        responses={201: CaseNoteSerializer, 403: OpenApiResponse(description="Your role does not allow this")},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self.validated(CaseNoteInputSerializer)
        note = case_note_add(actor=request.user, **data)
        return Response(CaseNoteSerializer(note).data, status=status.HTTP_201_CREATED)


class CorrectionsMixin:
    """``POST /api/requests/<id>/corrections/`` on the requests viewset."""

    @extend_schema(
        summary="Correct a child's detail or a request's date, with the reason",
        request=CorrectionInputSerializer,
        responses={
            200: CorrectionResultSerializer,
            400: OpenApiResponse(description="The value breaks a rule (a decision before the request arrived...)"),
            403: OpenApiResponse(description="Only SEN officers and managers correct records"),
        },
    )
    @action(detail=True, methods=["post"])
    def corrections(self, request: Request, pk: str) -> Response:
        view: Any = self
        instance = view.get_object()
        data = view.validated(CorrectionInputSerializer)
        fact = corrections.Fact(data["fact"])
        value, problems = corrections.parse_value(fact, data["value"])
        if problems:
            raise ValidationError({"value": problems})
        if fact in corrections.CHILD_FACTS:
            child_correct(actor=request.user, child=instance.child_id, fact=fact, value=value, reason=data["reason"])
        else:
            request_correct_date(actor=request.user, request=instance.pk, fact=fact, value=value, reason=data["reason"])
        return Response({"fact": fact.value, "request": instance.pk, "child": instance.child_id})
