"""The placements API: viewsets for reads, one POST action per change (docs/style.md item 9).

Each action validates the shape of its body with a small serializer, calls one service in
``placements.services`` (which checks the role, the transition and the rules, and writes the
event), then answers with the contract as it now is. Domain errors become 400/403/409 in
``core.api.exception_handler``. Reads need ``PLACEMENT_VIEW``, writes
``PLACEMENT_MANAGE`` (checked here up front and again by every service). Every queryset is
``visible_to(user)`` and loads what its serializer reads, so a list costs the same number of
queries for 1 row or 50. Reads of contracts (children's placements) leave access-log rows.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, permissions, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.access import access_log_record, access_log_record_many
from core.api import MAX_ID, HasCapability, StrictFilterBackend
from core.ids import id_or_404
from core.models import AccessAction, NeedType
from core.roles import Capability, user_can
from core.viewsets import ServiceViewSet, flatten_errors
from placements import queues, reports, workflow
from placements.api import serializers as placement_serializers
from placements.models import (
    CONTRACT_STATUS_CHOICES,
    AttendanceReturn,
    ContractVersion,
    CostLine,
    Deduction,
    FeeReview,
    FeeReviewLine,
    NegotiationRound,
    PlacementContract,
    PlacementReview,
    Provider,
)
from placements.services import attendance as attendance_services
from placements.services import contracts as contract_services
from placements.services import fee_reviews as fee_review_services
from placements.services import providers as provider_services
from placements.services import reviews as review_services
from placements.workflow import Queue

_CONFLICT = OpenApiResponse(description="Not allowed in the contract's current status, or a conflicting change")


# --- Plumbing ------------------------------------------------------------------------------------


def contract_queryset(user: Any, *, detail: bool = False) -> QuerySet[PlacementContract]:
    """The contracts ``user`` may see, with everything the serializers read loaded up front."""
    queryset = PlacementContract.objects.visible_to(user).with_related()
    if detail:
        queryset = queryset.select_related("penalty_clause").prefetch_related(
            Prefetch("cost_lines", queryset=CostLine.objects.order_by("pk")),
            Prefetch("negotiation_rounds", queryset=NegotiationRound.objects.order_by("on", "round_no")),
            Prefetch(
                "attendance_returns",
                queryset=AttendanceReturn.objects.select_related("deduction").order_by("period_start", "pk"),
            ),
            Prefetch(
                "reviews", queryset=PlacementReview.objects.select_related("recorded_by").order_by("due_on", "pk")
            ),
        )
    return queryset


class _Base(ServiceViewSet):
    permission_classes = [HasCapability]
    required_capability: Capability | None = Capability.PLACEMENT_VIEW
    write_capability: Capability | None = Capability.PLACEMENT_MANAGE
    # Every change to providers, contracts and attendance needs the one capability (core.viewsets).
    action_capabilities = dict.fromkeys(
        [
            "upsert",
            "create",
            "start_negotiation",
            "agree",
            "end",
            "cost_lines",
            "negotiation_rounds",
            "penalty_clause",
            "attendance_returns",
            "update_line",
            "correct",
            "confirm",
            "waive",
            "import_csv",
            "give_notice",
            "reviews",
            "update_review",
            "record_outcome",
            "chase_returns",
        ],
        Capability.PLACEMENT_MANAGE,
    )
    filter_backends: list[Any] = []

    def contract_response(self, pk: int, *, status_code: int = status.HTTP_200_OK) -> Response:
        """The contract as it is now (after a service changed it), in the detail shape; it names
        the child, so it is logged with the read."""
        with transaction.atomic():
            contract = get_object_or_404(contract_queryset(self.request.user, detail=True), pk=pk)
            access_log_record(
                user=self.request.user,
                child_id=contract.child_id,
                object_type="placement_contract",
                object_id=contract.pk,
                path=self.request.path,
            )
            return Response(
                placement_serializers.PlacementContractDetailSerializer(
                    contract, context=self.get_serializer_context()
                ).data,
                status_code,
            )


def _action_schema(
    request: Any, summary: str, *, response: Any = placement_serializers.PlacementContractDetailSerializer
) -> Any:
    return extend_schema(request=request, responses={200: response, 409: _CONFLICT}, summary=summary)


# --- Providers -----------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="Providers: independent and non-maintained special schools, specialist colleges"),
    retrieve=extend_schema(summary="One provider's commissioning details"),
)
class ProviderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, _Base):
    queryset = Provider.objects.all()
    serializer_class = placement_serializers.ProviderSerializer

    def get_queryset(self) -> QuerySet[Provider]:
        if getattr(self, "swagger_fake_view", False):
            return Provider.objects.none()
        return (
            Provider.objects.visible_to(self.request.user)
            .select_related("establishment")
            .order_by("establishment__name", "pk")
        )

    @extend_schema(
        summary="Add a provider's commissioning record, or replace an existing one's details",
        request=placement_serializers.ProviderUpsertSerializer,
        responses={200: placement_serializers.ProviderSerializer},
    )
    @action(detail=False, methods=["post"])
    def upsert(self, request: Request) -> Response:
        data = self.validated(placement_serializers.ProviderUpsertSerializer)
        provider = provider_services.provider_upsert(
            actor=request.user, establishment=data.pop("establishment_id"), **data
        )
        provider = Provider.objects.select_related("establishment").get(pk=provider.pk)
        return Response(placement_serializers.ProviderSerializer(provider).data)

    @extend_schema(
        summary="Record that the provider was chased for attendance returns missing for a closed period",
        request=placement_serializers.PlacementChaseSerializer,
        responses={201: placement_serializers.PlacementChaseResultSerializer},
    )
    @action(detail=True, methods=["post"], url_path="chase-returns")
    def chase_returns(self, request: Request, pk: str) -> Response:
        provider = self.get_object()
        chase = review_services.returns_chase_record(
            actor=request.user, provider=provider.pk, **self.validated(placement_serializers.PlacementChaseSerializer)
        )
        return Response(placement_serializers.PlacementChaseResultSerializer(chase).data, status.HTTP_201_CREATED)


# --- Contracts -----------------------------------------------------------------------------------


class _PositiveIntFilter(django_filters.Filter):
    field_class = forms.IntegerField


class ContractFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=CONTRACT_STATUS_CHOICES)
    provider = _PositiveIntFilter(field_name="provider_id", min_value=1, max_value=MAX_ID, label="Provider id")
    need = django_filters.ChoiceFilter(field_name="child__primary_need", choices=NeedType.choices, label="Primary need")
    figure = django_filters.ChoiceFilter(
        choices=[(m, m) for m in reports.METRICS],
        method="filter_figure",
        label="Only the contracts behind a purchasing-power figure (today)",
    )

    class Meta:
        model = PlacementContract
        fields: list[str] = []

    def filter_figure(
        self, queryset: QuerySet[PlacementContract], name: str, value: str
    ) -> QuerySet[PlacementContract]:
        return queryset.filter(pk__in=reports.contracts_for(value).values("pk"))


@extend_schema_view(
    list=extend_schema(
        summary="Placement contracts",
        description="Newest first unless `ordering` says otherwise. Each child listed is recorded in the access log.",
    ),
    retrieve=extend_schema(
        summary="One contract with its cost lines, negotiation, clause, returns and deductions",
        description="Opening it is recorded in the access log.",
    ),
)
class ContractViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, _Base):
    queryset = PlacementContract.objects.all()
    serializer_class = placement_serializers.PlacementContractListSerializer
    filter_backends = [StrictFilterBackend, OrderingFilter]
    filterset_class = ContractFilter
    ordering_fields = ["start_on", "reference", "agreed_annual_cost_pence", "annual_review_on"]
    ordering = ["-start_on", "-pk"]

    def get_queryset(self) -> QuerySet[PlacementContract]:
        if getattr(self, "swagger_fake_view", False):
            return PlacementContract.objects.none()
        return contract_queryset(self.request.user, detail=self.action != "list")

    def get_serializer_class(self) -> type[serializers.Serializer]:
        return (
            placement_serializers.PlacementContractListSerializer
            if self.action == "list"
            else placement_serializers.PlacementContractDetailSerializer
        )

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        with transaction.atomic():  # the access-log rows are written with the read, or neither
            page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
            assert page is not None
            access_log_record_many(
                user=request.user,
                child_ids=list(dict.fromkeys(row.child_id for row in page)),
                object_type="placement_contract",
                action=AccessAction.LIST,
                path=request.path,
            )
            return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        with transaction.atomic():
            contract = self.get_object()
            access_log_record(
                user=request.user,
                child_id=contract.child_id,
                object_type="placement_contract",
                object_id=contract.pk,
                path=request.path,
            )
            return Response(self.get_serializer(contract).data)

    @extend_schema(
        summary="Draft a contract from a panel approval",
        request=placement_serializers.PlacementContractCreateSerializer,
        responses={201: placement_serializers.PlacementContractDetailSerializer, 409: _CONFLICT},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self.validated(placement_serializers.PlacementContractCreateSerializer)
        provider = data.pop("provider_id", None)
        if provider is None:
            # The provider of the school the panel approved (the service checks it matches).
            provider = (
                Provider.objects.filter(
                    establishment__proposed_in_referrals__agenda_items__decisions=data["panel_decision_id"]
                )
                .values_list("pk", flat=True)
                .first()
            )
            if provider is None:
                raise ValidationError({"provider_id": ["The school the panel approved has no provider record yet"]})
        contract = contract_services.contract_create(
            actor=request.user,
            panel_decision=data.pop("panel_decision_id"),
            provider=provider,
            **data,
        )
        return self.contract_response(contract.pk, status_code=status.HTTP_201_CREATED)

    # --- Status changes ------------------------------------------------------------------------

    @_action_schema(placement_serializers.PlacementNoteSerializer, "Start negotiating the fees")
    @action(detail=True, methods=["post"], url_path="start-negotiation")
    def start_negotiation(self, request: Request, pk: str) -> Response:
        contract = self.get_object()
        contract_services.contract_start_negotiation(
            actor=request.user, contract=contract.pk, **self.validated(placement_serializers.PlacementNoteSerializer)
        )
        return self.contract_response(contract.pk)

    @_action_schema(
        placement_serializers.PlacementNoteSerializer,
        "Agree the fees: every line agreed, the total within the panel's ceiling; active",
    )
    @action(detail=True, methods=["post"])
    def agree(self, request: Request, pk: str) -> Response:
        contract = self.get_object()
        contract_services.contract_agree(
            actor=request.user, contract=contract.pk, **self.validated(placement_serializers.PlacementNoteSerializer)
        )
        return self.contract_response(contract.pk)

    @_action_schema(placement_serializers.PlacementEndSerializer, "End the placement, with the date and the reason")
    @action(detail=True, methods=["post"])
    def end(self, request: Request, pk: str) -> Response:
        contract = self.get_object()
        contract_services.contract_end(
            actor=request.user, contract=contract.pk, **self.validated(placement_serializers.PlacementEndSerializer)
        )
        return self.contract_response(contract.pk)

    @_action_schema(
        placement_serializers.PlacementNoticeSerializer,
        "Record notice to end the placement and its planned last day (the earliest end is notice + period)",
    )
    @action(detail=True, methods=["post"], url_path="notice")
    def give_notice(self, request: Request, pk: str) -> Response:
        contract = self.get_object()
        review_services.contract_give_notice(
            actor=request.user, contract=contract.pk, **self.validated(placement_serializers.PlacementNoticeSerializer)
        )
        return self.contract_response(contract.pk)

    @_action_schema(
        placement_serializers.PlacementReviewScheduleSerializer,
        "Schedule a placement review (when the contract has none open)",
    )
    @action(detail=True, methods=["post"])
    def reviews(self, request: Request, pk: str) -> Response:
        contract = self.get_object()
        review_services.review_schedule(
            actor=request.user,
            contract=contract.pk,
            **self.validated(placement_serializers.PlacementReviewScheduleSerializer),
        )
        return self.contract_response(contract.pk)

    # --- Costs, negotiation, clause, returns ------------------------------------------------------

    @_action_schema(
        placement_serializers.PlacementCostLineAddSerializer,
        "Add a cost line (amount per period; annualised and stored)",
    )
    @action(detail=True, methods=["post"], url_path="cost-lines")
    def cost_lines(self, request: Request, pk: str) -> Response:
        contract = self.get_object()
        contract_services.cost_line_add(
            actor=request.user,
            contract=contract.pk,
            **self.validated(placement_serializers.PlacementCostLineAddSerializer),
        )
        return self.contract_response(contract.pk)

    @_action_schema(placement_serializers.PlacementRoundInputSerializer, "Record a negotiation round (annual offers)")
    @action(detail=True, methods=["post"], url_path="negotiation-rounds")
    def negotiation_rounds(self, request: Request, pk: str) -> Response:
        contract = self.get_object()
        contract_services.negotiation_round_record(
            actor=request.user,
            contract=contract.pk,
            **self.validated(placement_serializers.PlacementRoundInputSerializer),
        )
        return self.contract_response(contract.pk)

    @_action_schema(
        placement_serializers.PlacementPenaltyClauseInputSerializer, "Set or replace the attendance penalty clause"
    )
    @action(detail=True, methods=["post"], url_path="penalty-clause")
    def penalty_clause(self, request: Request, pk: str) -> Response:
        contract = self.get_object()
        contract_services.penalty_clause_set(
            actor=request.user,
            contract=contract.pk,
            **self.validated(placement_serializers.PlacementPenaltyClauseInputSerializer),
        )
        return self.contract_response(contract.pk)

    @_action_schema(
        placement_serializers.PlacementReturnInputSerializer,
        "Submit (or correct) an attendance return; below threshold, a deduction",
    )
    @action(detail=True, methods=["post"], url_path="attendance-returns")
    def attendance_returns(self, request: Request, pk: str) -> Response:
        contract = self.get_object()
        data = self.validated(placement_serializers.PlacementReturnInputSerializer)
        attendance_services.attendance_return_submit(
            actor=request.user,
            contract=contract.pk,
            period_kind=data["period_kind"],
            period_start=data["period_start"],
            period_end=data["period_end"],
            possible=data["sessions_possible"],
            attended=data["sessions_attended"],
            authorised=data["authorised_absence"],
            unauthorised=data["unauthorised_absence"],
        )
        return self.contract_response(contract.pk)


# --- Cost lines, deductions, the attendance import --------------------------------------------------


class CostLineViewSet(_Base):
    """Cost lines are added through the contract's ``cost-lines`` action and changed here."""

    queryset = CostLine.objects.all()
    serializer_class = placement_serializers.PlacementCostLineUpdateSerializer

    def get_queryset(self) -> QuerySet[CostLine]:
        if getattr(self, "swagger_fake_view", False):
            return CostLine.objects.none()
        return CostLine.objects.filter(contract__in=PlacementContract.objects.visible_to(self.request.user))

    @_action_schema(
        placement_serializers.PlacementCostLineUpdateSerializer, "Change a cost line: only the fields sent change"
    )
    @action(detail=True, methods=["post"], url_path="update", url_name="update")
    def update_line(self, request: Request, pk: str) -> Response:
        line = self.get_object()
        data = self.validated(placement_serializers.PlacementCostLineUpdateSerializer)
        contract_services.cost_line_update(actor=request.user, line=line.pk, **data)
        return self.contract_response(line.contract_id)


class NegotiationRoundViewSet(_Base):
    """Rounds are recorded through the contract's ``negotiation-rounds`` action and corrected here."""

    queryset = NegotiationRound.objects.all()
    serializer_class = placement_serializers.PlacementRoundCorrectSerializer

    def get_queryset(self) -> QuerySet[NegotiationRound]:
        if getattr(self, "swagger_fake_view", False):
            return NegotiationRound.objects.none()
        return NegotiationRound.objects.filter(contract__in=PlacementContract.objects.visible_to(self.request.user))

    @_action_schema(
        placement_serializers.PlacementRoundCorrectSerializer,
        "Correct a negotiation round, with the reason (the history keeps before and after)",
    )
    @action(detail=True, methods=["post"])
    def correct(self, request: Request, pk: str) -> Response:
        found = self.get_object()
        data = self.validated(placement_serializers.PlacementRoundCorrectSerializer)
        contract_services.negotiation_round_correct(actor=request.user, negotiation_round=found.pk, **data)
        return self.contract_response(found.contract_id)


class DeductionViewSet(_Base):
    """Deductions arise from attendance returns below the clause's threshold; decided here."""

    queryset = Deduction.objects.all()
    serializer_class = placement_serializers.PlacementWaiveSerializer

    def get_queryset(self) -> QuerySet[Deduction]:
        if getattr(self, "swagger_fake_view", False):
            return Deduction.objects.none()
        visible = PlacementContract.objects.visible_to(self.request.user)
        return Deduction.objects.filter(attendance_return__contract__in=visible).select_related("attendance_return")

    @_action_schema(
        placement_serializers.PlacementNoteSerializer,
        "Confirm a pending deduction: it comes off the provider's invoice",
    )
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: str) -> Response:
        deduction = self.get_object()
        attendance_services.deduction_confirm(
            actor=request.user, deduction=deduction.pk, **self.validated(placement_serializers.PlacementNoteSerializer)
        )
        return self.contract_response(deduction.attendance_return.contract_id)

    @_action_schema(placement_serializers.PlacementWaiveSerializer, "Waive a pending deduction, with the reason")
    @action(detail=True, methods=["post"])
    def waive(self, request: Request, pk: str) -> Response:
        deduction = self.get_object()
        attendance_services.deduction_waive(
            actor=request.user, deduction=deduction.pk, **self.validated(placement_serializers.PlacementWaiveSerializer)
        )
        return self.contract_response(deduction.attendance_return.contract_id)


class _ReviewReaders(permissions.BasePermission):
    """Who may call the reviews API at all: those who see placements, and those who record
    reviews (an SEN officer, for their own cases: ``PlacementReviewQuerySet.visible_to``). Each
    write's own capability is ``action_capabilities``."""

    message = "Your role does not allow this."

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if request.method not in permissions.SAFE_METHODS:
            return user_can(user, Capability.PLACEMENT_REVIEW_RECORD)
        return user_can(user, Capability.PLACEMENT_VIEW) or user_can(user, Capability.PLACEMENT_REVIEW_RECORD)


_OUTCOME_RESPONSE = PolymorphicProxySerializer(
    component_name="PlacementReviewOutcomeResult",
    serializers=[
        placement_serializers.PlacementContractDetailSerializer,
        placement_serializers.PlacementReviewSerializer,
    ],
    resource_type_field_name=None,
)


@extend_schema_view(
    list=extend_schema(summary="Placement reviews (the panel's conditions as tracked items), by due date"),
    retrieve=extend_schema(summary="One placement review"),
)
class PlacementReviewViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, _Base):
    """Reviews of running placements: due date, what the panel expected, the outcome and evidence.
    An SEN officer reads and records the reviews of their own cases, never the contract's money."""

    queryset = PlacementReview.objects.all()
    serializer_class = placement_serializers.PlacementReviewSerializer
    permission_classes = [_ReviewReaders]
    action_capabilities = {**_Base.action_capabilities, "record_outcome": Capability.PLACEMENT_REVIEW_RECORD}

    def get_queryset(self) -> QuerySet[PlacementReview]:
        if getattr(self, "swagger_fake_view", False):
            return PlacementReview.objects.none()
        return (
            PlacementReview.objects.visible_to(self.request.user)
            .select_related("recorded_by", "contract")
            .order_by("due_on", "pk")
        )

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        with transaction.atomic():  # the reviews concern children: logged with the read
            page = self.paginate_queryset(self.get_queryset())
            assert page is not None
            access_log_record_many(
                user=request.user,
                child_ids=list(dict.fromkeys(row.contract.child_id for row in page)),
                object_type="placement_review",
                action=AccessAction.LIST,
                path=request.path,
            )
            return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        with transaction.atomic():
            review = self.get_object()
            access_log_record(
                user=request.user,
                child_id=review.contract.child_id,
                object_type="placement_review",
                object_id=review.pk,
                path=request.path,
            )
            return Response(self.get_serializer(review).data)

    @_action_schema(
        placement_serializers.PlacementReviewScheduleSerializer, "Change an open review's date or expectations"
    )
    @action(detail=True, methods=["post"], url_path="update", url_name="update")
    def update_review(self, request: Request, pk: str) -> Response:
        review = self.get_object()
        review_services.review_update(
            actor=request.user,
            review=review.pk,
            **self.validated(placement_serializers.PlacementReviewScheduleSerializer),
        )
        return self.contract_response(review.contract_id)

    @_action_schema(
        placement_serializers.PlacementReviewOutcomeSerializer,
        "Record a review's outcome and evidence: continue or change schedule the next; end starts the ending. "
        "Answers with the contract for those who see placements, with the review for an SEN officer",
        response=_OUTCOME_RESPONSE,
    )
    @action(detail=True, methods=["post"], url_path="outcome", url_name="outcome")
    def record_outcome(self, request: Request, pk: str) -> Response:
        review = self.get_object()
        review_services.review_record_outcome(
            actor=request.user,
            review=review.pk,
            **self.validated(placement_serializers.PlacementReviewOutcomeSerializer),
        )
        if user_can(request.user, Capability.PLACEMENT_VIEW):
            return self.contract_response(review.contract_id)
        with transaction.atomic():
            found = self.get_queryset().get(pk=review.pk)
            access_log_record(
                user=request.user,
                child_id=found.contract.child_id,
                object_type="placement_review",
                object_id=found.pk,
                path=request.path,
            )
            return Response(self.get_serializer(found).data)


class AttendanceReturnViewSet(_Base):
    """Attendance returns for many contracts at once, from a provider's CSV file."""

    queryset = AttendanceReturn.objects.none()
    serializer_class = placement_serializers.PlacementImportInputSerializer

    @extend_schema(
        summary="Import a CSV of attendance returns: all rows, or none",
        description=(
            "The whole file is checked first. Any problem: 400, every problem listed by row and column in "
            "`row_errors` (and in `errors`, keyed `row N: column`), and nothing imported."
        ),
        request=placement_serializers.PlacementImportInputSerializer,
        responses={
            200: placement_serializers.PlacementImportResultSerializer,
            400: placement_serializers.PlacementImportErrorSerializer,
        },
    )
    @action(detail=False, methods=["post"], url_path="import", url_name="import")
    def import_csv(self, request: Request) -> Response:
        data = self.validated(placement_serializers.PlacementImportInputSerializer)
        result = attendance_services.attendance_returns_import_csv(actor=request.user, file_text=data["csv"])
        if not result.ok:
            errors: dict[str, list[str]] = {}
            for error in result.errors:
                errors.setdefault(f"row {error.row}: {error.column}", []).append(error.reason)
            body = {
                "detail": result.summary(),
                "code": "invalid",
                "errors": errors,
                "rows_read": result.rows_read,
                "row_errors": [{"row": e.row, "column": e.column, "reason": e.reason} for e in result.errors],
            }
            return Response(body, status=status.HTTP_400_BAD_REQUEST)
        return Response(
            {
                "rows_read": result.rows_read,
                "created": result.created,
                "corrected": result.corrected,
                "deductions_pending": result.deductions_pending,
                "summary": result.summary(),
            }
        )


# --- Reports ---------------------------------------------------------------------------------------


class _ReportView(APIView):
    permission_classes = [HasCapability]
    required_capability = Capability.PLACEMENT_VIEW


class PurchasingPowerView(_ReportView):
    @extend_schema(
        summary="Purchasing power: per provider (or provider and primary need), today",
        parameters=[
            OpenApiParameter("by", OpenApiTypes.STR, enum=["provider", "need"], description="Default provider"),
            OpenApiParameter(
                "order_by",
                OpenApiTypes.STR,
                enum=[*reports.NEED_COLUMNS, *(f"-{c}" for c in reports.NEED_COLUMNS)],
                description="A column, `-` for descending (primary_need only with by=need). Default provider_name",
            ),
        ],
        responses={200: placement_serializers.PurchasingPowerSerializer},
    )
    def get(self, request: Request) -> Response:
        query = placement_serializers.PurchasingPowerQuerySerializer(data=request.query_params)
        if not query.is_valid():
            raise ValidationError(flatten_errors(query.errors))
        by, order_by = query.validated_data["by"], query.validated_data["order_by"]
        on = timezone.localdate()
        if by == "provider":
            rows = reports.purchasing_power(on=on, order_by=order_by)
        else:
            rows = reports.purchasing_power_by_need(on=on, order_by=order_by)
        data = {"on": on, "by": by, "order_by": order_by, "rows": rows}
        return Response(placement_serializers.PurchasingPowerSerializer(data).data)


class FiguresView(_ReportView):
    @extend_schema(
        summary="Placements in place today, committed spend, savings, deductions applied",
        responses={200: placement_serializers.PlacementFiguresSerializer},
    )
    def get(self, request: Request) -> Response:
        figures = reports.placement_figures(on=timezone.localdate())
        return Response(placement_serializers.PlacementFiguresSerializer(figures.__dict__).data)


# --- Finance work queues ---------------------------------------------------------------------------


class QueueCountsView(_ReportView):
    @extend_schema(
        summary="Finance work queues: how many items each holds today",
        operation_id="placements_queues_counts",
        responses={200: placement_serializers.PlacementQueueCountsSerializer},
    )
    def get(self, request: Request) -> Response:
        on = timezone.localdate()
        counts = queues.queue_counts(request.user, on)
        rows = [{"queue": q.value, "title": q.heading, "description": q.explanation, "count": counts[q]} for q in Queue]
        return Response(placement_serializers.PlacementQueueCountsSerializer({"on": on, "queues": rows}).data)


class QueueDetailView(_ReportView):
    @extend_schema(
        summary="One finance work queue's items today (each names its contract and child)",
        parameters=[
            OpenApiParameter("queue", OpenApiTypes.STR, OpenApiParameter.PATH, enum=[q.value for q in Queue]),
        ],
        responses={200: placement_serializers.PlacementQueueSerializer},
    )
    def get(self, request: Request, queue: str) -> Response:
        try:
            chosen = Queue(queue)
        except ValueError as unknown:
            raise NotFound("No such work queue.") from unknown
        on = timezone.localdate()
        items = queues.queue_items(chosen, request.user, on)
        with transaction.atomic():
            access_log_record_many(
                user=request.user,
                child_ids=list(dict.fromkeys(item.contract.child_id for item in items)),
                object_type=f"placement_queue:{chosen.value}",
                path=request.path,
            )
        data = {"on": on, "queue": chosen.value, "title": chosen.heading, "count": len(items), "items": items}
        return Response(placement_serializers.PlacementQueueSerializer(data).data)


# --- Purchasing power over time ---------------------------------------------------------------------


class PurchasingPowerYearsView(_ReportView):
    @extend_schema(
        summary="Purchasing power by financial year: per provider in one year, and each year's totals",
        parameters=[
            OpenApiParameter(
                "year",
                {"type": "integer", "minimum": 2000, "maximum": 2100},
                description="The financial year by the calendar year it starts in (2025 is April 2025 to "
                "March 2026); default the current one",
            ),
            OpenApiParameter(
                "order_by",
                OpenApiTypes.STR,
                enum=[*reports.YEAR_COLUMNS, *(f"-{c}" for c in reports.YEAR_COLUMNS)],
                description="A column, `-` for descending. Default provider_name",
            ),
        ],
        responses={200: placement_serializers.PurchasingPowerYearsSerializer},
    )
    def get(self, request: Request) -> Response:
        query = placement_serializers.PurchasingPowerYearQuerySerializer(data=request.query_params)
        if not query.is_valid():
            raise ValidationError(flatten_errors(query.errors))
        year, order_by = query.validated_data["year"], query.validated_data["order_by"]
        starts_on, ends_on = workflow.financial_year_bounds(year)
        data = {
            "year": year,
            "label": workflow.financial_year_label(year),
            "starts_on": starts_on,
            "ends_on": ends_on,
            "order_by": order_by,
            "rows": reports.purchasing_power_year(year=year, order_by=order_by),
            "years": reports.purchasing_power_years(until=timezone.localdate()),
        }
        return Response(placement_serializers.PurchasingPowerYearsSerializer(data).data)


# --- Annual fee reviews (docs/domain.md §2.6) ---------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="Annual fee reviews, newest first (the contract's reference, not the child)"),
    retrieve=extend_schema(summary="One annual fee review, its lines and the contract's fee versions"),
)
class FeeReviewViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, _Base):
    queryset = FeeReview.objects.all()
    serializer_class = placement_serializers.FeeReviewSerializer
    action_capabilities = {
        **_Base.action_capabilities,
        **dict.fromkeys(["start", "negotiate_line", "agree", "refuse", "withdraw"], Capability.PLACEMENT_MANAGE),
    }

    def get_queryset(self) -> QuerySet[FeeReview]:
        if getattr(self, "swagger_fake_view", False):
            return FeeReview.objects.none()
        return (
            FeeReview.objects.visible_to(self.request.user)
            .filter(contract__in=PlacementContract.objects.visible_to(self.request.user))
            .select_related("contract")
            .prefetch_related(
                Prefetch("lines", queryset=FeeReviewLine.objects.order_by("pk")),
                Prefetch("contract__versions", queryset=ContractVersion.objects.order_by("version_no")),
            )
            .order_by("-received_on", "-pk")
        )

    def review_response(self, pk: int, *, status_code: int = status.HTTP_200_OK) -> Response:
        review = get_object_or_404(self.get_queryset(), pk=pk)
        return Response(self.get_serializer(review).data, status_code)

    @extend_schema(
        summary="Record a provider's request for an uplift on an active contract",
        request=placement_serializers.FeeReviewStartSerializer,
        responses={201: placement_serializers.FeeReviewSerializer, 409: _CONFLICT},
    )
    @action(detail=False, methods=["post"])
    def start(self, request: Request) -> Response:
        data = self.validated(placement_serializers.FeeReviewStartSerializer)
        contract = get_object_or_404(PlacementContract.objects.visible_to(request.user), pk=data.pop("contract_id"))
        review = fee_review_services.fee_review_start(actor=request.user, contract=contract, **data)
        return self.review_response(review.pk, status_code=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Negotiate one line: what the provider asks and what is agreed (per the line's period)",
        request=placement_serializers.FeeReviewLineInputSerializer,
        responses={200: placement_serializers.FeeReviewSerializer, 409: _CONFLICT},
        parameters=[OpenApiParameter("line_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
    )
    @action(detail=True, methods=["post"], url_path=r"lines/(?P<line_id>[0-9]+)")
    def negotiate_line(self, request: Request, pk: str, line_id: str) -> Response:
        review = self.get_object()
        line = get_object_or_404(FeeReviewLine, pk=id_or_404(line_id), review=review)
        fee_review_services.fee_review_record_line(
            actor=request.user, line=line, **self.validated(placement_serializers.FeeReviewLineInputSerializer)
        )
        return self.review_response(review.pk)

    @_action_schema(
        placement_serializers.FeeReviewAgreeSerializer,
        "Agree the fee review: in force from its date within the ceiling, else back to the panel",
        response=placement_serializers.FeeReviewSerializer,
    )
    @action(detail=True, methods=["post"])
    def agree(self, request: Request, pk: str) -> Response:
        review = self.get_object()
        fee_review_services.fee_review_agree(
            actor=request.user, review=review, **self.validated(placement_serializers.FeeReviewAgreeSerializer)
        )
        return self.review_response(review.pk)

    @_action_schema(
        placement_serializers.FeeReviewCloseSerializer,
        "Refuse the uplift; the fee in force does not change",
        response=placement_serializers.FeeReviewSerializer,
    )
    @action(detail=True, methods=["post"])
    def refuse(self, request: Request, pk: str) -> Response:
        review = self.get_object()
        fee_review_services.fee_review_refuse(
            actor=request.user, review=review, **self.validated(placement_serializers.FeeReviewCloseSerializer)
        )
        return self.review_response(review.pk)

    @_action_schema(
        placement_serializers.FeeReviewCloseSerializer,
        "Record that the provider withdrew its request",
        response=placement_serializers.FeeReviewSerializer,
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str) -> Response:
        review = self.get_object()
        fee_review_services.fee_review_withdraw(
            actor=request.user, review=review, **self.validated(placement_serializers.FeeReviewCloseSerializer)
        )
        return self.review_response(review.pk)
