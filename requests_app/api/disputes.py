"""API for mediation and SEND Tribunal appeals (``/api/mediations/``, ``/api/appeals/``).

Reads need the request capability and show only appeals on requests the user may see; every
child in a response is written to the access log. Each change is one POST calling one service
in ``requests_app.services.disputes``; the role is checked before the body is read.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.db import transaction
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.access import access_log_record
from core.api import MAX_ID, HasCapability, IdFilter, StrictFilterBackend
from core.errors import ReferenceNotFound
from core.roles import Capability, user_can
from core.viewsets import LoggedReadViewSet
from requests_app import disputes
from requests_app.models import (
    APPEAL_OUTCOME_CHOICES,
    APPEAL_STATUS_CHOICES,
    DISPUTED_CHOICES,
    MEDIATION_OUTCOME_CHOICES,
    ORDER_CHOICES,
    Appeal,
    AssessmentRequest,
    Mediation,
)
from requests_app.services.disputes import (
    appeal_record_compliance,
    appeal_record_outcome,
    appeal_register,
    mediation_record,
    mediation_update,
)

_ID = {"min_value": 1, "max_value": MAX_ID}


# --- Serializers ---------------------------------------------------------------------------------


class MediationSerializer(serializers.ModelSerializer[Mediation]):
    request_id = serializers.IntegerField(read_only=True)
    appeal_deadline = serializers.DateField(read_only=True, help_text="The last day to appeal (docs/domain.md §1.7)")

    class Meta:
        model = Mediation
        fields = [
            "id",
            "request_id",
            "against",
            "decision_letter_on",
            "adviser_contacted_on",
            "certificate_issued_on",
            "held_on",
            "outcome",
            "appeal_deadline",
            "imported_from_census",
        ]
        read_only_fields = fields


class StepSerializer(serializers.Serializer[disputes.Step]):
    label = serializers.CharField()
    due_on = serializers.DateField()


class AppealSerializer(serializers.ModelSerializer[Appeal]):
    request_id = serializers.IntegerField(read_only=True)
    mediation_id = serializers.IntegerField(read_only=True, allow_null=True)
    steps = StepSerializer(many=True, read_only=True, help_text="The order's steps and their deadlines (reg 44)")
    days_left = serializers.SerializerMethodField(help_text="Days to the compliance deadline; negative when overdue")

    class Meta:
        model = Appeal
        fields = [
            "id",
            "request_id",
            "against",
            "decision_letter_on",
            "mediation_id",
            "registered_on",
            "hearing_on",
            "status",
            "outcome",
            "decided_on",
            "order_type",
            "steps",
            "compliance_due_on",
            "days_left",
            "complied_on",
            "imported_from_census",
        ]
        read_only_fields = fields

    def get_days_left(self, appeal: Appeal) -> int | None:
        if appeal.status != disputes.AppealStatus.ORDERED or appeal.compliance_due_on is None:
            return None
        return disputes.compliance_days_left(appeal.compliance_due_on, today=self.context["today"])


class MediationCreateSerializer(serializers.Serializer[Any]):
    request_id = serializers.IntegerField(**_ID)
    against = serializers.ChoiceField(choices=DISPUTED_CHOICES)
    decision_letter_on = serializers.DateField()
    adviser_contacted_on = serializers.DateField(required=False, allow_null=True)
    certificate_issued_on = serializers.DateField(required=False, allow_null=True)
    held_on = serializers.DateField(required=False, allow_null=True)
    outcome = serializers.ChoiceField(choices=MEDIATION_OUTCOME_CHOICES, default="pending")


class MediationUpdateSerializer(serializers.Serializer[Any]):
    certificate_issued_on = serializers.DateField(allow_null=True)
    held_on = serializers.DateField(allow_null=True)
    outcome = serializers.ChoiceField(choices=MEDIATION_OUTCOME_CHOICES)


class AppealCreateSerializer(serializers.Serializer[Any]):
    request_id = serializers.IntegerField(**_ID)
    against = serializers.ChoiceField(choices=DISPUTED_CHOICES)
    decision_letter_on = serializers.DateField()
    registered_on = serializers.DateField()
    hearing_on = serializers.DateField(required=False, allow_null=True)
    mediation_id = serializers.IntegerField(required=False, allow_null=True, **_ID)


class AppealOutcomeSerializer(serializers.Serializer[Any]):
    outcome = serializers.ChoiceField(choices=APPEAL_OUTCOME_CHOICES)
    decided_on = serializers.DateField()
    order_type = serializers.ChoiceField(choices=ORDER_CHOICES, required=False, allow_blank=True, default="")


class ComplianceSerializer(serializers.Serializer[Any]):
    complied_on = serializers.DateField()


# --- Views ---------------------------------------------------------------------------------------


class _DisputeViewSet(LoggedReadViewSet):
    permission_classes = [HasCapability]
    required_capability = Capability.REQUEST_VIEW
    # Recording a mediation or an appeal, or their outcomes (core.viewsets: checked first).
    action_capabilities = {
        "create": Capability.REQUEST_DECIDE,
        "record_outcome": Capability.REQUEST_DECIDE,
        "record_compliance": Capability.REQUEST_DECIDE,
    }
    filter_backends = [StrictFilterBackend]
    access_object_type = ""

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "today": timezone.localdate()}

    def require_recording(self) -> None:
        """Checked before the body is read: a role that may not act learns nothing of its rules."""
        if not user_can(self.request.user, Capability.REQUEST_DECIDE):
            raise exceptions.PermissionDenied("You do not have permission to do this.")

    def visible_request(self, pk: int) -> AssessmentRequest:
        found = AssessmentRequest.objects.visible_to(self.request.user).filter(pk=pk).first()
        if found is None:
            raise ReferenceNotFound("No request with this id that you may see", field="request_id")
        return found

    def respond(self, instance: Any, *, code: int = status.HTTP_200_OK) -> Response:
        with transaction.atomic():
            fresh = get_object_or_404(self.get_queryset(), pk=instance.pk)
            access_log_record(
                user=self.request.user,
                child_id=fresh.request.child_id,
                object_type=self.access_object_type,
                object_id=fresh.pk,
                path=self.request.path,
            )
            return Response(self.get_serializer(fresh).data, status=code)


class MediationFilter(django_filters.FilterSet):
    request = IdFilter(field_name="request_id")

    class Meta:
        model = Mediation
        fields = ["request", "against", "outcome"]


class AppealFilter(django_filters.FilterSet):
    request = IdFilter(field_name="request_id")
    status = django_filters.ChoiceFilter(choices=APPEAL_STATUS_CHOICES)

    class Meta:
        model = Appeal
        fields = ["request", "status", "against", "order_type"]


_CONFLICT = OpenApiResponse(description="Not allowed in the appeal's current state")


@extend_schema_view(
    list=extend_schema(summary="Mediation on the requests you may see (children listed are access-logged)"),
    retrieve=extend_schema(summary="One mediation"),
)
class MediationViewSet(_DisputeViewSet):
    serializer_class = MediationSerializer
    filterset_class = MediationFilter
    access_object_type = "mediation"

    def get_queryset(self) -> QuerySet[Mediation]:
        if getattr(self, "swagger_fake_view", False):
            return Mediation.objects.none()
        visible = AssessmentRequest.objects.visible_to(self.request.user)
        return Mediation.objects.filter(request__in=visible).select_related("request").order_by("pk")

    @extend_schema(request=MediationCreateSerializer, responses={201: MediationSerializer}, summary="Record mediation")
    def create(self, request: Request) -> Response:
        self.require_recording()
        data = self.validated(MediationCreateSerializer)
        target = self.visible_request(data.pop("request_id"))
        mediation = mediation_record(actor=request.user, request=target, **data)
        return self.respond(mediation, code=status.HTTP_201_CREATED)

    @extend_schema(
        request=MediationUpdateSerializer,
        responses={200: MediationSerializer},
        summary="Record the certificate, meeting and outcome",
    )
    @action(detail=True, methods=["post"], url_path="record-outcome")
    def record_outcome(self, request: Request, pk: str) -> Response:
        self.require_recording()
        instance = self.get_object()
        data = self.validated(MediationUpdateSerializer)
        return self.respond(mediation_update(actor=request.user, mediation=instance.pk, **data))


@extend_schema_view(
    list=extend_schema(
        summary="SEND Tribunal appeals on the requests you may see",
        description="Filter `status=ordered` for the orders awaiting compliance; each has its reg 44 deadline.",
    ),
    retrieve=extend_schema(summary="One appeal with its order's steps and deadline"),
)
class AppealViewSet(_DisputeViewSet):
    serializer_class = AppealSerializer
    filterset_class = AppealFilter
    access_object_type = "appeal"

    def get_queryset(self) -> QuerySet[Appeal]:
        if getattr(self, "swagger_fake_view", False):
            return Appeal.objects.none()
        return Appeal.objects.visible_to(self.request.user).select_related("request").order_by("pk")

    @extend_schema(request=AppealCreateSerializer, responses={201: AppealSerializer}, summary="Register an appeal")
    def create(self, request: Request) -> Response:
        self.require_recording()
        data = self.validated(AppealCreateSerializer)
        target = self.visible_request(data.pop("request_id"))
        mediation_id = data.pop("mediation_id", None)
        mediation = None
        if mediation_id is not None:
            mediation = Mediation.objects.filter(pk=mediation_id, request=target).first()
            if mediation is None:
                raise exceptions.ValidationError({"mediation_id": ["No mediation with this id on that request"]})
        appeal = appeal_register(actor=request.user, request=target, mediation=mediation, **data)
        return self.respond(appeal, code=status.HTTP_201_CREATED)

    @extend_schema(
        request=AppealOutcomeSerializer,
        responses={200: AppealSerializer, 409: _CONFLICT},
        summary="Record the Tribunal's decision (an order sets the compliance deadline)",
    )
    @action(detail=True, methods=["post"], url_path="record-outcome")
    def record_outcome(self, request: Request, pk: str) -> Response:
        self.require_recording()
        instance = self.get_object()
        data = self.validated(AppealOutcomeSerializer)
        return self.respond(appeal_record_outcome(actor=request.user, appeal=instance.pk, **data))

    @extend_schema(
        request=ComplianceSerializer,
        responses={200: AppealSerializer, 409: _CONFLICT},
        summary="Record compliance with the order",
    )
    @action(detail=True, methods=["post"], url_path="record-compliance")
    def record_compliance(self, request: Request, pk: str) -> Response:
        self.require_recording()
        instance = self.get_object()
        data = self.validated(ComplianceSerializer)
        return self.respond(appeal_record_compliance(actor=request.user, appeal=instance.pk, **data))
