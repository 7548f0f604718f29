"""The requests API: viewsets for reads, one POST action per change (docs/style.md item 9).

Each action validates the shape of its input with a small serializer, calls one service in
``requests_app.services`` (which checks the user's capability, the transition and the rules,
and writes the event), then answers with the request as the detail serializer shows it. Domain
errors from the services become 400/403/409 in ``core.api.exception_handler``.

Reads of children's data leave access-log rows in the same transaction as the read: one per
request opened, one per child in a list response.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import django_filters
from django.db import transaction
from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.access import access_log_record, access_log_record_many
from core.api import HasCapability, StrictFilterBackend
from core.errors import ReferenceNotFound, ValidationFailed
from core.models import AccessAction
from core.roles import Capability
from core.viewsets import ServiceViewSet
from requests_app.api import serializers as request_serializers
from requests_app.api.notes import CorrectionsMixin
from requests_app.filters import RequestFilter
from requests_app.models import (
    AdviceRequest,
    AdviserType,
    AssessmentDecision,
    AssessmentRequest,
    ClockException,
    PlanPlacement,
    RequestEvent,
)
from requests_app.services.advice import (
    advice_cancel,
    advice_record_received,
    advice_request_create,
    exception_add,
    exception_remove,
)
from requests_app.services.children import PossibleDuplicate, find_duplicates
from requests_app.services.lifecycle import (
    assessment_complete,
    evaluation_record,
    evaluation_start,
    plan_issue_draft,
    plan_issue_final,
    plan_record_family_comments,
    request_assign,
    request_create,
    request_decide_assessment,
    request_decide_issue,
    request_record_view,
    request_refer_to_panel,
    request_reopen,
    request_withdraw,
)

# --- Helpers -------------------------------------------------------------------------------------


def request_queryset(user: Any, *, detail: bool = False) -> QuerySet[AssessmentRequest]:
    """The requests ``user`` may see, with everything the serializers read loaded up front
    (a fixed number of queries whatever the page size)."""
    queryset = (
        AssessmentRequest.objects.visible_to(user)
        .with_queue_related()
        .select_related("child__current_establishment", "named_establishment")
        .annotate(
            has_active_exception=Exists(ClockException.objects.filter(request=OuterRef("pk")).active()),
            has_awaited_advice=Exists(AdviceRequest.objects.filter(request=OuterRef("pk")).awaited()),
        )
    )
    if detail:
        queryset = queryset.select_related("evaluation__completed_by").prefetch_related(
            Prefetch("decisions", queryset=AssessmentDecision.objects.select_related("decided_by")),
            "advice_requests",
            Prefetch("clock_exceptions", queryset=ClockException.objects.select_related("recorded_by", "removed_by")),
            Prefetch("events", queryset=RequestEvent.objects.select_related("actor")),
            Prefetch("plan_placements", queryset=PlanPlacement.objects.select_related("establishment")),
        )
    return queryset


# The services name objects ("named_establishment"); request bodies name their ids
# ("named_establishment_id"). A service's error is reported under the name the client sent.
API_FIELD_NAMES = {
    "district": "district_id",
    "current_establishment": "current_establishment_id",
    "named_establishment": "named_establishment_id",
    "advice_request": "advice_request_id",
    "officer": "officer_id",
    "child": "child_id",
}


@contextmanager
def api_field_names(prefix: str = "", fields: Iterable[str] = ()) -> Iterator[None]:
    """Re-raise a service's ValidationFailed with its fields under the API's names; ``fields``
    (the nested child's) are also put under ``prefix``."""
    try:
        yield
    except ValidationFailed as exc:
        nested = set(fields)
        errors: dict[str, list[str]] = {}
        for key, messages in exc.errors.items():
            name = API_FIELD_NAMES.get(key, key)
            errors.setdefault(f"{prefix}{name}" if key in nested else name, []).extend(messages)
        raise ValidationFailed(exc.message, errors=errors) from exc


def _child_ids(rows: list[Any], child_id: Any) -> list[int]:
    """Each child once, in the order shown."""
    return list(dict.fromkeys(child_id(row) for row in rows))


def _case_response(
    request: Request, pk: int, context: dict[str, Any], *, status_code: int = status.HTTP_200_OK
) -> Response:
    """A write action's answer: the case as it is now, read and logged in one transaction."""
    with transaction.atomic():
        instance = get_object_or_404(request_queryset(request.user, detail=True), pk=pk)
        access_log_record(
            user=request.user,
            child_id=instance.child_id,
            object_type="assessment_request",
            object_id=instance.pk,
            path=request.path,
        )
        return Response(request_serializers.RequestDetailSerializer(instance, context=context).data, status_code)


def _candidates_response(request: Request, candidates: list[Any], body: dict[str, Any], status_code: int) -> Response:
    """Possible duplicates shown to the user: other children's names, dates of birth and UPNs."""
    with transaction.atomic():
        access_log_record_many(
            user=request.user,
            child_ids=[child.pk for child in candidates],
            object_type="duplicate_candidate",
            path=request.path,
        )
        body["candidates"] = request_serializers.DuplicateCandidateSerializer(candidates, many=True).data
        return Response(body, status=status_code)


class _ApiView(ServiceViewSet):
    permission_classes = [HasCapability]
    required_capability: Capability | None = Capability.REQUEST_VIEW

    def get_serializer_context(self) -> dict[str, Any]:
        # One "today" for the whole response, so days left and urgency agree across rows.
        return {**super().get_serializer_context(), "today": timezone.localdate()}


# --- Requests ------------------------------------------------------------------------------------


_DETAIL = request_serializers.RequestDetailSerializer
_CONFLICT = OpenApiResponse(description="Not allowed in the request's current status, or a conflicting change")


def _action_schema(request: Any, summary: str, *, response: Any = _DETAIL) -> Any:
    return extend_schema(request=request, responses={200: response, 409: _CONFLICT}, summary=summary)


@extend_schema_view(
    list=extend_schema(
        summary="The triage queue",
        description=(
            "Requests the user may see, soonest next deadline first unless `ordering` says otherwise. "
            "Each child listed is recorded in the access log."
        ),
    ),
    retrieve=extend_schema(
        summary="One request's case file",
        description="The request with its evaluation, decisions, advice, exceptions and timeline. "
        "Opening it is recorded in the access log.",
    ),
)
class AssessmentRequestViewSet(CorrectionsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, _ApiView):
    """EHC needs-assessment requests: the queue, the case file and every step of the process."""

    queryset = AssessmentRequest.objects.all()  # the model, for the schema; get_queryset narrows it
    serializer_class = request_serializers.RequestListSerializer
    filter_backends = [StrictFilterBackend]
    filterset_class = RequestFilter

    # Each change and the capability it needs, checked before the body is read (core.viewsets);
    # the services check the same capability again, with the transition and the object rules.
    action_capabilities = {
        "create": Capability.REQUEST_CREATE,
        "check_duplicates": Capability.REQUEST_CREATE,
        "assign": Capability.REQUEST_ASSIGN,
        "bulk_assign": Capability.REQUEST_ASSIGN,
        "start_evaluation": Capability.REQUEST_EVALUATE,
        "evaluation": Capability.REQUEST_EVALUATE,
        "decide_assessment": Capability.REQUEST_DECIDE,
        "advice_requests": Capability.REQUEST_DECIDE,
        "complete_assessment": Capability.REQUEST_DECIDE,
        "decide_issue": Capability.REQUEST_DECIDE,
        "issue_draft": Capability.REQUEST_DECIDE,
        "family_comments": Capability.REQUEST_DECIDE,
        "issue_final": Capability.REQUEST_DECIDE,
        "exceptions": Capability.REQUEST_DECIDE,
        "withdraw": Capability.REQUEST_DECIDE,
        "reopen": Capability.REQUEST_REOPEN,
        "refer_to_panel": Capability.PANEL_REFER,
        # --- Case notes and corrections (issue 13, notes): requests_app/api/notes.py ---
        "corrections": Capability.RECORD_CORRECT,
    }

    def get_queryset(self) -> QuerySet[AssessmentRequest]:
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return AssessmentRequest.objects.none()
        return request_queryset(self.request.user, detail=self.action != "list")

    def get_serializer_class(self) -> type[serializers.Serializer]:
        return (
            request_serializers.RequestListSerializer
            if self.action in ("list", "bulk_assign")
            else request_serializers.RequestDetailSerializer
        )

    def _detail(self, pk: int, *, status_code: int = status.HTTP_200_OK) -> Response:
        """The request as it is now (after a service changed it), in the detail shape; the
        response shows the child, so it is logged with the read."""
        return _case_response(self.request, pk, self.get_serializer_context(), status_code=status_code)

    # --- Reads --------------------------------------------------------------------------------

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        with transaction.atomic():  # the access-log rows are written with the read, or neither
            page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
            assert page is not None  # the project pagination is always on
            access_log_record_many(
                user=request.user,
                child_ids=_child_ids(page, lambda row: row.child_id),
                object_type="assessment_request",
                action=AccessAction.LIST,
                path=request.path,
            )
            return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        with transaction.atomic():
            instance = self.get_object()
            request_record_view(user=request.user, request=instance, path=request.path)
            return Response(self.get_serializer(instance).data)

    # --- Creating ------------------------------------------------------------------------------

    @extend_schema(
        summary="Record a new request",
        request=request_serializers.RequestCreateSerializer,
        responses={
            201: _DETAIL,
            409: OpenApiResponse(
                request_serializers.PossibleDuplicateSerializer,
                description=(
                    "`possible_duplicate`: the child may already be recorded; check the candidates and "
                    "send again with `child_id`, or with `confirm_not_duplicate`. `conflict`: the child "
                    "already has a request in progress."
                ),
            ),
        },
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self.validated(request_serializers.RequestCreateSerializer)
        child = data.pop("child_id", None)
        child_data = data.pop("child", None)
        confirmed = data.pop("confirm_not_duplicate")
        # The service names the new child's fields bare; the API nests them under "child".
        child_fields = (
            {field.source for field in request_serializers.ChildInputSerializer().fields.values()}
            if child_data
            else set()
        )
        try:
            with api_field_names("child.", child_fields):
                created = request_create(
                    actor=request.user,
                    child=child,
                    child_data=child_data,
                    confirmed_different_child=confirmed,
                    **data,
                )
        except PossibleDuplicate as exc:
            body = {"detail": exc.message, "code": exc.code}
            return _candidates_response(request, exc.candidates, body, status.HTTP_409_CONFLICT)
        return self._detail(created.pk, status_code=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Children who may be the one being entered",
        request=request_serializers.DuplicateCheckSerializer,
        responses={200: request_serializers.DuplicateCandidatesSerializer},
    )
    @action(detail=False, methods=["post"], url_path="check-duplicates")
    def check_duplicates(self, request: Request) -> Response:
        data = self.validated(request_serializers.DuplicateCheckSerializer)
        candidates = find_duplicates(**data)
        return _candidates_response(request, candidates, {}, status.HTTP_200_OK)

    # --- Assigning -----------------------------------------------------------------------------

    @_action_schema(request_serializers.AssignSerializer, "Assign the request to an SEN officer")
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, pk: str) -> Response:
        instance = self.get_object()
        data = self.validated(request_serializers.AssignSerializer)
        request_assign(actor=request.user, requests=[instance.pk], officer=data["officer_id"])
        return self._detail(instance.pk)

    @extend_schema(
        summary="Assign several requests to one SEN officer",
        operation_id="requests_bulk_assign",
        filters=False,
        request=request_serializers.BulkAssignSerializer,
        responses={200: request_serializers.RequestListSerializer(many=True), 409: _CONFLICT},
    )
    @action(detail=False, methods=["post"], url_path="assign", url_name="bulk-assign")
    def bulk_assign(self, request: Request) -> Response:
        data = self.validated(request_serializers.BulkAssignSerializer)
        ids = data["request_ids"]
        found = set(self.get_queryset().filter(pk__in=ids).values_list("pk", flat=True))
        missing = sorted(set(ids) - found)
        if missing:
            raise ReferenceNotFound(f"No request with id {', '.join(map(str, missing))}", field="request_ids")
        request_assign(actor=request.user, requests=ids, officer=data["officer_id"])
        with transaction.atomic():
            assigned = list(request_queryset(request.user).filter(pk__in=ids).order_by("pk"))
            access_log_record_many(
                user=request.user,
                child_ids=_child_ids(assigned, lambda row: row.child_id),
                object_type="assessment_request",
                path=request.path,
            )
            return Response(
                request_serializers.RequestListSerializer(
                    assigned, many=True, context=self.get_serializer_context()
                ).data
            )

    # --- Provision evaluation --------------------------------------------------------------------

    @_action_schema(None, "Start the provision evaluation")
    @action(detail=True, methods=["post"], url_path="start-evaluation")
    def start_evaluation(self, request: Request, pk: str) -> Response:
        instance = self.get_object()
        self.validated(request_serializers.NoBodySerializer)  # a field sent here is a 400 naming it, not ignored
        evaluation_start(actor=request.user, request=instance.pk)
        return self._detail(instance.pk)

    @_action_schema(
        request_serializers.EvaluationInputSerializer,
        "Record the evaluation checklist (and with `complete`, finish it)",
    )
    @action(detail=True, methods=["post"])
    def evaluation(self, request: Request, pk: str) -> Response:
        instance = self.get_object()
        data = self.validated(request_serializers.EvaluationInputSerializer)
        complete = data.pop("complete")
        evaluation_record(actor=request.user, request=instance.pk, complete=complete, **data)
        return self._detail(instance.pk)

    # --- Decisions, advice, the plan -------------------------------------------------------------

    @_action_schema(request_serializers.DecideAssessmentSerializer, "Decide whether to assess (reg 5)")
    @action(detail=True, methods=["post"], url_path="decide-assessment")
    def decide_assessment(self, request: Request, pk: str) -> Response:
        instance = self.get_object()
        data = self.validated(request_serializers.DecideAssessmentSerializer)
        request_decide_assessment(actor=request.user, request=instance.pk, **data)
        return self._detail(instance.pk)

    @_action_schema(request_serializers.AdviceRequestInputSerializer, "Request advice (reg 6)")
    @action(detail=True, methods=["post"], url_path="advice-requests")
    def advice_requests(self, request: Request, pk: str) -> Response:
        instance = self.get_object()
        data = self.validated(request_serializers.AdviceRequestInputSerializer)
        advice_request_create(actor=request.user, request=instance.pk, **data)
        return self._detail(instance.pk)

    @_action_schema(None, "All advice is in: the request awaits the decision whether to issue")
    @action(detail=True, methods=["post"], url_path="complete-assessment")
    def complete_assessment(self, request: Request, pk: str) -> Response:
        instance = self.get_object()
        self.validated(request_serializers.NoBodySerializer)  # a field sent here is a 400 naming it, not ignored
        assessment_complete(actor=request.user, request=instance.pk)
        return self._detail(instance.pk)

    @_action_schema(request_serializers.DecideIssueSerializer, "Decide whether to issue a plan (reg 10)")
    @action(detail=True, methods=["post"], url_path="decide-issue")
    def decide_issue(self, request: Request, pk: str) -> Response:
        instance = self.get_object()
        data = self.validated(request_serializers.DecideIssueSerializer)
        request_decide_issue(actor=request.user, request=instance.pk, **data)
        return self._detail(instance.pk)

    @_action_schema(request_serializers.IssueDraftSerializer, "Issue the draft plan (reg 13(1))")
    @action(detail=True, methods=["post"], url_path="issue-draft")
    def issue_draft(self, request: Request, pk: str) -> Response:
        instance = self.get_object()
        data = self.validated(request_serializers.IssueDraftSerializer)
        plan_issue_draft(actor=request.user, request=instance.pk, **data)
        return self._detail(instance.pk)

    @_action_schema(request_serializers.FamilyCommentsSerializer, "Record the family's comments on the draft")
    @action(detail=True, methods=["post"], url_path="family-comments")
    def family_comments(self, request: Request, pk: str) -> Response:
        instance = self.get_object()
        data = self.validated(request_serializers.FamilyCommentsSerializer)
        plan_record_family_comments(actor=request.user, request=instance.pk, **data)
        return self._detail(instance.pk)

    @_action_schema(request_serializers.IssueFinalSerializer, "Issue the final plan (reg 13(2))")
    @action(detail=True, methods=["post"], url_path="issue-final")
    def issue_final(self, request: Request, pk: str) -> Response:
        instance = self.get_object()
        data = self.validated(request_serializers.IssueFinalSerializer)
        with api_field_names():
            plan_issue_final(actor=request.user, request=instance.pk, **data)
        return self._detail(instance.pk)

    # --- Housekeeping ------------------------------------------------------------------------------

    @_action_schema(
        request_serializers.ExceptionInputSerializer, "Record a clock exception (regs 5(4), 8(2), 10(4), 13(3))"
    )
    @action(detail=True, methods=["post"])
    def exceptions(self, request: Request, pk: str) -> Response:
        instance = self.get_object()
        data = self.validated(request_serializers.ExceptionInputSerializer)
        with api_field_names():
            exception_add(actor=request.user, request=instance.pk, **data)
        return self._detail(instance.pk)

    @_action_schema(request_serializers.WithdrawSerializer, "Close a request withdrawn by the family, or ceased")
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str) -> Response:
        instance = self.get_object()
        data = self.validated(request_serializers.WithdrawSerializer)
        request_withdraw(actor=request.user, request=instance.pk, **data)
        return self._detail(instance.pk)

    @_action_schema(request_serializers.ReopenSerializer, "Reopen a refused, not-issued or withdrawn request")
    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, pk: str) -> Response:
        instance = self.get_object()
        data = self.validated(request_serializers.ReopenSerializer)
        request_reopen(actor=request.user, request=instance.pk, **data)
        return self._detail(instance.pk)

    @_action_schema(request_serializers.ReferToPanelSerializer, "Record that the request went to the placement panel")
    @action(detail=True, methods=["post"], url_path="refer-to-panel")
    def refer_to_panel(self, request: Request, pk: str) -> Response:
        instance = self.get_object()
        data = self.validated(request_serializers.ReferToPanelSerializer)
        request_refer_to_panel(actor=request.user, request=instance.pk, **data)
        return self._detail(instance.pk)


# --- Advice requests -------------------------------------------------------------------------------


class AdviceRequestFilter(django_filters.FilterSet):
    """The advice queue: still awaited unless ``outstanding=false`` asks for the rest."""

    adviser_type = django_filters.ChoiceFilter(choices=AdviserType.choices, label="Adviser")
    outstanding = django_filters.BooleanFilter(
        method="filter_outstanding",
        label="Awaited on a request in progress (default true; false lists received advice and closed requests)",
    )
    overdue = django_filters.BooleanFilter(method="filter_overdue", label="Awaited and past its target")

    class Meta:
        model = AdviceRequest
        fields: list[str] = []

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.today = timezone.localdate()

    @property
    def qs(self) -> QuerySet[AdviceRequest]:
        queryset: QuerySet[AdviceRequest] = super().qs
        if self.form.is_valid() and self.form.cleaned_data.get("outstanding") is None:
            queryset = queryset.filter(pk__in=AdviceRequest.objects.outstanding().values("pk"))
        return queryset

    def filter_outstanding(self, queryset: QuerySet[AdviceRequest], name: str, value: bool) -> QuerySet[AdviceRequest]:
        outstanding = AdviceRequest.objects.outstanding().values("pk")
        return queryset.filter(pk__in=outstanding) if value else queryset.exclude(pk__in=outstanding)

    def filter_overdue(self, queryset: QuerySet[AdviceRequest], name: str, value: bool) -> QuerySet[AdviceRequest]:
        overdue = AdviceRequest.objects.overdue(on=self.today).values("pk")
        return queryset.filter(pk__in=overdue) if value else queryset.exclude(pk__in=overdue)


@extend_schema_view(
    list=extend_schema(
        summary="The advice queue",
        description=(
            "Advice requests still awaited, oldest first. Users who cannot open request records "
            "(educational psychologists) see educational psychology advice only. Each child listed "
            "is recorded in the access log."
        ),
    )
)
class AdviceRequestViewSet(mixins.ListModelMixin, _ApiView):
    """Advice sought under reg 6: the advice services' queue, and recording advice received."""

    queryset = AdviceRequest.objects.all()
    serializer_class = request_serializers.AdviceQueueSerializer
    required_capability = Capability.ADVICE_VIEW
    action_capabilities = {"record_received": Capability.ADVICE_RECORD, "cancel": Capability.REQUEST_DECIDE}
    filter_backends = [StrictFilterBackend]
    filterset_class = AdviceRequestFilter

    def get_queryset(self) -> QuerySet[AdviceRequest]:
        if getattr(self, "swagger_fake_view", False):
            return AdviceRequest.objects.none()
        user = self.request.user
        queryset = (
            AdviceRequest.objects.visible_to(user)
            .select_related("request", "request__child", "request__child__current_establishment")
            .order_by("requested_on", "pk")
        )
        return queryset

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        with transaction.atomic():
            page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
            assert page is not None
            access_log_record_many(
                user=request.user,
                child_ids=_child_ids(page, lambda row: row.request.child_id),
                object_type="advice_request",
                action=AccessAction.LIST,
                path=request.path,
            )
            return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @_action_schema(
        request_serializers.AdviceReceivedSerializer,
        "Record that the advice has arrived",
        response=request_serializers.AdviceQueueSerializer,
    )
    @action(detail=True, methods=["post"], url_path="record-received")
    def record_received(self, request: Request, pk: str) -> Response:
        instance = self.get_object()
        data = self.validated(request_serializers.AdviceReceivedSerializer)
        advice_record_received(actor=request.user, advice=instance.pk, **data)
        with transaction.atomic():
            advice = get_object_or_404(self.get_queryset(), pk=instance.pk)
            access_log_record(
                user=request.user,
                child_id=advice.request.child_id,
                object_type="advice_request",
                object_id=advice.pk,
                path=request.path,
            )
            return Response(
                request_serializers.AdviceQueueSerializer(advice, context=self.get_serializer_context()).data
            )

    @_action_schema(
        request_serializers.AdviceCancelSerializer,
        "Cancel a request for advice (kept on file, no longer awaited)",
        response=request_serializers.AdviceQueueSerializer,
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        instance = self.get_object()
        data = self.validated(request_serializers.AdviceCancelSerializer)
        advice_cancel(actor=request.user, advice=instance.pk, **data)
        advice = get_object_or_404(self.get_queryset(), pk=instance.pk)
        return Response(request_serializers.AdviceQueueSerializer(advice, context=self.get_serializer_context()).data)


# --- Clock exceptions ------------------------------------------------------------------------------


class ClockExceptionViewSet(_ApiView):
    """Recorded clock exceptions; they are added through the request's ``exceptions`` action."""

    queryset = ClockException.objects.all()
    serializer_class = request_serializers.ExceptionRemoveSerializer
    action_capabilities = {"remove": Capability.REQUEST_DECIDE}

    def get_queryset(self) -> QuerySet[ClockException]:
        if getattr(self, "swagger_fake_view", False):
            return ClockException.objects.none()
        return ClockException.objects.filter(request__in=AssessmentRequest.objects.visible_to(self.request.user))

    @_action_schema(
        request_serializers.ExceptionRemoveSerializer, "Remove a clock exception (kept on file, no longer counted)"
    )
    @action(detail=True, methods=["post"])
    def remove(self, request: Request, pk: str) -> Response:
        instance = self.get_object()
        data = self.validated(request_serializers.ExceptionRemoveSerializer)
        exception_remove(actor=request.user, exception=instance.pk, **data)
        return _case_response(request, instance.request_id, self.get_serializer_context())
