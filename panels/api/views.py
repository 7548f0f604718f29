"""The panel API: viewsets for reads, one POST action per change (docs/style.md item 9).

Each action validates the shape of its body with a small serializer, calls one service in
``panels.services`` (which checks the role, the transition and the rules, and writes the
event), then answers with the changed object. Domain errors become 400/403/409 in
``core.api.exception_handler``. Every queryset is ``visible_to(user)`` and loads what
its serializer reads up front, so a list costs the same number of queries for 1 row or 100.

No response here carries a child's name, date of birth or UPN: the panel API identifies a child
by the minimised identity (initials, age, district, need). The pack endpoint is the same data as
the pack page (``services.pack_for``), which adds the name for members who are not head teachers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import django_filters
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.access import access_log_record_many
from core.api import StrictFilterBackend
from core.errors import ReferenceNotFound
from core.models import AccessAction, Establishment
from core.roles import Capability, user_can
from core.viewsets import ServiceViewSet, flatten_errors
from panels import reports, selectors, services, workflow
from panels.api import serializers as panel_serializers
from panels.models import (
    MEETING_STATUS_CHOICES,
    REFERRAL_KIND_CHOICES,
    REFERRAL_STATUS_CHOICES,
    AgendaItem,
    Attendance,
    Declaration,
    PanelDecision,
    PanelMeeting,
    Referral,
)
from requests_app.models import AssessmentRequest

_CONFLICT = OpenApiResponse(description="Not allowed in the meeting's or referral's current status")


# --- Plumbing ------------------------------------------------------------------------------------


class HasAnyCapability(permissions.BasePermission):
    """Allow the request when the user holds any of ``view.read_capabilities`` (safe methods)
    or ``view.write_capabilities`` (the rest). Object rules are in each ``get_queryset`` and
    in the services."""

    message = "Your role does not allow this."

    def has_permission(self, request: Request, view: APIView) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        needed: Sequence[Capability] = getattr(view, "read_capabilities", ())
        if request.method not in permissions.SAFE_METHODS:
            needed = getattr(view, "write_capabilities", ()) or needed
        return any(user_can(request.user, capability) for capability in needed)


class _PanelApiView(ServiceViewSet):
    permission_classes = [HasAnyCapability]
    read_capabilities: tuple[Capability, ...] = (Capability.PANEL_VIEW,)
    write_capabilities: tuple[Capability, ...] = (Capability.PANEL_VIEW,)  # the services check the chair
    # Each change and the capability it needs, checked before the body is read (core.viewsets).
    # A member may declare an interest; everything else that changes a meeting is the chair's.
    action_capabilities = {
        **dict.fromkeys(
            [
                "agenda_items",
                "circulate",
                "attendance",
                "attendance_correct",
                "mark_held",
                "minutes_generate",
                "minutes_approve",
                "withdraw",
                "defer",
                "declarations_correct",
                "decision",
            ],
            Capability.PANEL_CHAIR,
        ),
        "declarations": Capability.PANEL_VIEW,
    }
    filter_backends: list[Any] = []

    def get_serializer_context(self) -> dict[str, Any]:
        context = {**super().get_serializer_context(), "today": timezone.localdate()}
        if getattr(self, "request", None) is not None and not getattr(self, "swagger_fake_view", False):
            context["papers_access"] = selectors.withheld_papers(self.request.user)
        return context


def _establishment(pk: int | None, field: str) -> Establishment | None:
    if pk is None:
        return None
    found = Establishment.objects.filter(pk=pk).first()
    if found is None:
        raise ValidationError({field: [f"No school or college with id {pk}"]})
    return found


def _options(rows: Sequence[Mapping[str, Any]] | None) -> list[dict[str, Any]] | None:
    if rows is None:
        return None
    ids = {row["establishment_id"] for row in rows}
    found = Establishment.objects.in_bulk(ids)
    errors: dict[str, list[str]] = {}
    for index, row in enumerate(rows):
        if row["establishment_id"] not in found:
            errors[f"options.{index}.establishment_id"] = [f"No school or college with id {row['establishment_id']}"]
    if errors:
        raise ValidationError(errors)
    return [
        {
            "establishment": found[row["establishment_id"]],
            "meets_need": row["meets_need"],
            "reason": row["reason"],
            "annual_cost_pence": row["annual_cost_pence"],
        }
        for row in rows
    ]


# --- Referrals -----------------------------------------------------------------------------------


class ReferralFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=REFERRAL_STATUS_CHOICES)
    kind = django_filters.ChoiceFilter(choices=REFERRAL_KIND_CHOICES)

    class Meta:
        model = Referral
        fields: list[str] = []


@extend_schema_view(
    list=extend_schema(
        summary="Referrals to the placement panel",
        description="Newest first. Children appear by initials, age, district and need only. "
        "Each child listed is recorded in the access log.",
    ),
    retrieve=extend_schema(summary="One referral with its options, costs and what it still lacks"),
)
class ReferralViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, _PanelApiView):
    """A child's case put to the panel: the setting asked for, the maintained options and the cost."""

    queryset = Referral.objects.all()
    serializer_class = panel_serializers.ReferralListSerializer
    read_capabilities = (Capability.PANEL_VIEW, Capability.PANEL_REFER)
    write_capabilities = (Capability.PANEL_REFER,)
    action_capabilities = {"create": Capability.PANEL_REFER, "change": Capability.PANEL_REFER}
    filter_backends = [StrictFilterBackend]
    filterset_class = ReferralFilter

    def get_queryset(self) -> QuerySet[Referral]:
        if getattr(self, "swagger_fake_view", False):
            return Referral.objects.none()
        return selectors.referral_queryset(self.request.user).order_by("-referred_on", "-pk")

    def get_serializer_class(self) -> type[serializers.Serializer]:
        return (
            panel_serializers.ReferralListSerializer
            if self.action == "list"
            else panel_serializers.ReferralDetailSerializer
        )

    def _context(self, referrals: Sequence[Referral]) -> dict[str, Any]:
        """The serializer context with what the user may see of each referral's papers."""
        access = selectors.papers_access_for(self.request.user, [r.pk for r in referrals])
        # One query for the benchmarks of every line shown (figures only).
        benchmarks = selectors.line_benchmarks_for(
            r.pk for r in referrals if access[r.pk] is not workflow.PapersAccess.WITHHELD
        )
        return {**self.get_serializer_context(), "papers_access": access, "benchmarks": benchmarks}

    @staticmethod
    def _shown_children(referrals: Sequence[Referral], context: Mapping[str, Any]) -> list[int]:
        """The children whose papers the answer shows (not those withheld from a recused member)."""
        withheld = workflow.PapersAccess.WITHHELD
        return list(dict.fromkeys(r.request.child_id for r in referrals if context["papers_access"][r.pk] != withheld))

    def _detail(self, pk: int, status_code: int = status.HTTP_200_OK) -> Response:
        # A write's answer names the child: logged with the read.
        with transaction.atomic():
            referral = get_object_or_404(self.get_queryset(), pk=pk)
            access_log_record_many(
                user=self.request.user,
                child_ids=[referral.request.child_id],
                object_type="panel_referral",
                action=AccessAction.VIEW,
                object_id=referral.pk,
                path=self.request.path,
            )
            context = self._context([referral])
            return Response(panel_serializers.ReferralDetailSerializer(referral, context=context).data, status_code)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        with transaction.atomic():
            page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
            assert page is not None
            context = self._context(page)
            access_log_record_many(
                user=request.user,
                child_ids=self._shown_children(page, context),
                object_type="panel_referral",
                action=AccessAction.LIST,
                path=request.path,
            )
            data = panel_serializers.ReferralListSerializer(page, many=True, context=context).data
            return self.get_paginated_response(data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        with transaction.atomic():
            referral = self.get_object()
            context = self._context([referral])
            access_log_record_many(
                user=request.user,
                child_ids=self._shown_children([referral], context),
                object_type="panel_referral",
                action=AccessAction.VIEW,
                path=request.path,
            )
            return Response(panel_serializers.ReferralDetailSerializer(referral, context=context).data)

    @extend_schema(
        summary="Refer a request to the panel (may be saved incomplete)",
        request=panel_serializers.ReferralCreateSerializer,
        responses={201: panel_serializers.ReferralDetailSerializer, 409: _CONFLICT},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self.validated(panel_serializers.ReferralCreateSerializer)
        assessment = AssessmentRequest.objects.visible_to(request.user).filter(pk=data["request_id"]).first()
        if assessment is None:
            raise ReferenceNotFound(f"No request with id {data['request_id']}", field="request_id")
        referral = services.referral_create(
            actor=request.user,
            request=assessment,
            kind=data["kind"],
            proposed_establishment=_establishment(data.get("proposed_establishment_id"), "proposed_establishment_id"),
            parental_preference=data.get("parental_preference", ""),
            parental_preference_establishment=_establishment(
                data.get("parental_preference_establishment_id"), "parental_preference_establishment_id"
            ),
            needs_summary=data.get("needs_summary", ""),
            options=_options(data.get("options")) or [],
            cost_lines=data.get("cost_lines", []),
            evidence=data.get("evidence", []),
            notes=data.get("notes", ""),
        )
        return self._detail(referral.pk, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a referral awaiting the panel",
        request=panel_serializers.ReferralUpdateSerializer,
        responses={200: panel_serializers.ReferralDetailSerializer, 409: _CONFLICT},
    )
    @action(detail=True, methods=["post"], url_path="update", url_name="update")
    def change(self, request: Request, pk: str) -> Response:
        referral = self.get_object()
        data = self.validated(panel_serializers.ReferralUpdateSerializer)
        changes: dict[str, Any] = {}
        for name in ("kind", "parental_preference", "needs_summary", "evidence", "notes"):
            if name in data:
                changes[name] = data[name]
        for name in ("proposed_establishment", "parental_preference_establishment"):
            if f"{name}_id" in data:
                changes[name] = _establishment(data[f"{name}_id"], f"{name}_id")
        options = _options(data.get("options"))
        cost_lines = data.get("cost_lines")
        if options is None:  # keep the options on file: the service replaces only lists it is given
            options = [
                {
                    "establishment": o.establishment,
                    "meets_need": o.meets_need,
                    "reason": o.reason,
                    "annual_cost_pence": o.annual_cost_pence,
                }
                for o in referral.options.all()
            ]
        if cost_lines is None:
            cost_lines = [
                {"category": c.category, "annual_amount_pence": c.annual_amount_pence, "description": c.description}
                for c in referral.cost_lines.all()
            ]
        services.referral_update(
            actor=request.user, referral=referral.pk, changes=changes, options=options, cost_lines=cost_lines
        )
        return self._detail(referral.pk)


# --- Meetings ------------------------------------------------------------------------------------


class MeetingFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=MEETING_STATUS_CHOICES)

    class Meta:
        model = PanelMeeting
        fields: list[str] = []


def _item_prefetches(prefix: str = "") -> list[Any]:
    return [
        Prefetch(f"{prefix}declarations", queryset=Declaration.objects.order_by("member_id")),
        Prefetch(f"{prefix}decisions", queryset=PanelDecision.objects.prefetch_related("participants")),
    ]


@extend_schema_view(
    list=extend_schema(
        summary="Panel meetings",
        description="Latest first. The chair and managers see every meeting; a member sees a meeting "
        "once its papers are circulated.",
    ),
    retrieve=extend_schema(summary="One meeting with its agenda, attendance and minutes"),
)
class MeetingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, _PanelApiView):
    """Meetings of the central placement panel and every step from scheduling to the minutes."""

    queryset = PanelMeeting.objects.all()
    serializer_class = panel_serializers.MeetingListSerializer
    action_capabilities = {**_PanelApiView.action_capabilities, "create": Capability.PANEL_CHAIR}
    filter_backends = [StrictFilterBackend]
    filterset_class = MeetingFilter

    def get_queryset(self) -> QuerySet[PanelMeeting]:
        if getattr(self, "swagger_fake_view", False):
            return PanelMeeting.objects.none()
        return self._meetings(detail=self.action != "list")

    def _meetings(self, *, detail: bool) -> QuerySet[PanelMeeting]:
        queryset = selectors.meeting_queryset(self.request.user).order_by("-held_on", "-starts_at", "-pk")
        if detail:
            queryset = queryset.select_related("minutes__approved_by").prefetch_related(
                Prefetch(
                    "items",
                    queryset=AgendaItem.objects.select_related("referral")
                    .prefetch_related(*_item_prefetches())
                    .order_by("position"),
                ),
                Prefetch(
                    "attendance", queryset=Attendance.objects.select_related("member__user").order_by("member_id")
                ),
            )
        return queryset

    def get_serializer_class(self) -> type[serializers.Serializer]:
        return (
            panel_serializers.MeetingListSerializer
            if self.action == "list"
            else panel_serializers.MeetingDetailSerializer
        )

    def _detail(self, pk: int, status_code: int = status.HTTP_200_OK) -> Response:
        meeting = get_object_or_404(self._meetings(detail=True), pk=pk)
        return Response(
            panel_serializers.MeetingDetailSerializer(meeting, context=self.get_serializer_context()).data, status_code
        )

    @extend_schema(
        summary="Schedule a meeting (the chair chairs it)",
        request=panel_serializers.MeetingCreateSerializer,
        responses={201: panel_serializers.MeetingDetailSerializer},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self.validated(panel_serializers.MeetingCreateSerializer)
        meeting = services.meeting_schedule(actor=request.user, **data)
        return self._detail(meeting.pk, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Put a complete referral on the agenda",
        description="Head teachers whose school is the proposed setting, the parents' preference or an "
        "option considered are recused automatically.",
        request=panel_serializers.AgendaAddSerializer,
        responses={201: panel_serializers.AgendaItemSerializer, 409: _CONFLICT},
    )
    @action(detail=True, methods=["post"], url_path="agenda-items", url_name="agenda-items")
    def agenda_items(self, request: Request, pk: str) -> Response:
        meeting = self.get_object()
        data = self.validated(panel_serializers.AgendaAddSerializer)
        if not Referral.objects.visible_to(request.user).filter(pk=data["referral_id"]).exists():
            raise ValidationError({"referral_id": [f"No referral with id {data['referral_id']}"]})
        item = services.agenda_add_item(actor=request.user, meeting=meeting.pk, referral=data["referral_id"])
        return self._item(item.pk, status.HTTP_201_CREATED)

    def _item(self, pk: int, status_code: int = status.HTTP_200_OK) -> Response:
        item = AgendaItem.objects.select_related("referral").prefetch_related(*_item_prefetches()).get(pk=pk)
        return Response(
            panel_serializers.AgendaItemSerializer(item, context=self.get_serializer_context()).data, status_code
        )

    @extend_schema(
        summary="Circulate the papers",
        request=None,
        responses={200: panel_serializers.MeetingDetailSerializer, 409: _CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def circulate(self, request: Request, pk: str) -> Response:
        meeting = self.get_object()
        services.meeting_circulate_papers(actor=request.user, meeting=meeting.pk)
        return self._detail(meeting.pk)

    @extend_schema(
        summary="Record who attended (the rest send apologies)",
        request=panel_serializers.AttendanceInputSerializer,
        responses={200: panel_serializers.MeetingDetailSerializer, 409: _CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def attendance(self, request: Request, pk: str) -> Response:
        meeting = self.get_object()
        data = self.validated(panel_serializers.AttendanceInputSerializer)
        services.attendance_record(actor=request.user, meeting=meeting.pk, **data)
        return self._detail(meeting.pk)

    @extend_schema(
        summary="Correct one member's attendance (the chair, with a reason shown in the minutes)",
        description="Attendance is fixed once the first decision is recorded; this is the only way to "
        "change it then. Decisions already recorded keep the quorum they were taken with.",
        request=panel_serializers.AttendanceCorrectSerializer,
        responses={200: panel_serializers.MeetingDetailSerializer, 409: _CONFLICT},
    )
    @action(detail=True, methods=["post"], url_path="attendance/correct", url_name="attendance-correct")
    def attendance_correct(self, request: Request, pk: str) -> Response:
        meeting = self.get_object()
        data = self.validated(panel_serializers.AttendanceCorrectSerializer)
        services.attendance_correct(actor=request.user, meeting=meeting.pk, **data)
        return self._detail(meeting.pk)

    @extend_schema(
        summary="Mark the meeting as held",
        request=None,
        responses={200: panel_serializers.MeetingDetailSerializer, 409: _CONFLICT},
    )
    @action(detail=True, methods=["post"], url_path="mark-held", url_name="mark-held")
    def mark_held(self, request: Request, pk: str) -> Response:
        meeting = self.get_object()
        services.meeting_mark_held(actor=request.user, meeting=meeting.pk)
        return self._detail(meeting.pk)

    @extend_schema(
        summary="Draft (or redraft) the minutes",
        request=None,
        responses={200: panel_serializers.MinutesSerializer, 409: _CONFLICT},
    )
    @action(detail=True, methods=["post"], url_path="minutes/generate", url_name="minutes-generate")
    def minutes_generate(self, request: Request, pk: str) -> Response:
        meeting = self.get_object()
        minutes = services.minutes_generate(actor=request.user, meeting=meeting.pk)
        return Response(panel_serializers.MinutesSerializer(minutes, context=self.get_serializer_context()).data)

    @extend_schema(
        summary="Approve the minutes",
        request=None,
        responses={200: panel_serializers.MinutesSerializer, 409: _CONFLICT},
    )
    @action(detail=True, methods=["post"], url_path="minutes/approve", url_name="minutes-approve")
    def minutes_approve(self, request: Request, pk: str) -> Response:
        meeting = self.get_object()
        minutes = services.minutes_approve(actor=request.user, meeting=meeting.pk)
        return Response(panel_serializers.MinutesSerializer(minutes, context=self.get_serializer_context()).data)

    @extend_schema(
        summary="The agenda pack for the signed-in member",
        description="Head teachers get the child's initials, age, district and need only; a member "
        "recused from an item sees that it is on the agenda and why, not its papers. Each child "
        "shown is recorded in the access log.",
        responses={200: panel_serializers.PackSerializer},
    )
    @action(detail=True, methods=["get"])
    def pack(self, request: Request, pk: str, format: str | None = None) -> Response:
        meeting = self.get_object()
        data = services.pack_for(meeting=meeting.pk, user=request.user, path=request.path)
        return Response(panel_serializers.PackSerializer(data, context=self.get_serializer_context()).data)


def _declaration_body(declaration: Declaration) -> dict[str, Any]:
    return {
        "id": declaration.pk,
        "item_id": declaration.item_id,
        "member_id": declaration.member_id,
        "nature": declaration.nature,
        "interest": declaration.interest,
        "recused": declaration.recused,
        "automatic": declaration.automatic,
        "declared_at": declaration.declared_at,
    }


# --- Agenda items --------------------------------------------------------------------------------


@extend_schema_view(retrieve=extend_schema(summary="One agenda item with its recusals and decision"))
class AgendaItemViewSet(mixins.RetrieveModelMixin, _PanelApiView):
    """Items on meetings' agendas: withdraw, declare an interest, record the decision."""

    queryset = AgendaItem.objects.all()
    serializer_class = panel_serializers.AgendaItemSerializer

    def get_queryset(self) -> QuerySet[AgendaItem]:
        if getattr(self, "swagger_fake_view", False):
            return AgendaItem.objects.none()
        return (
            AgendaItem.objects.filter(meeting__in=PanelMeeting.objects.visible_to(self.request.user))
            .select_related("referral")
            .prefetch_related(*_item_prefetches())
        )

    def _item(self, pk: int) -> Response:
        item = get_object_or_404(self.get_queryset(), pk=pk)
        return Response(panel_serializers.AgendaItemSerializer(item, context=self.get_serializer_context()).data)

    @extend_schema(
        summary="Withdraw the item (with a reason); the referral waits for a later meeting",
        request=panel_serializers.AgendaWithdrawSerializer,
        responses={200: panel_serializers.AgendaItemSerializer, 409: _CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str) -> Response:
        item = self.get_object()
        data = self.validated(panel_serializers.AgendaWithdrawSerializer)
        services.agenda_withdraw_item(actor=request.user, item=item.pk, reason=data["reason"])
        return self._item(item.pk)

    @extend_schema(
        summary="Defer the item to a later meeting (the chair, with a reason shown in the minutes)",
        description="For an item the panel cannot take today, e.g. the chair made the referral and no "
        "vice-chair is present. Needs no quorum; the referral goes onto the later meeting's agenda.",
        request=panel_serializers.AgendaDeferSerializer,
        responses={200: panel_serializers.AgendaItemSerializer, 409: _CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def defer(self, request: Request, pk: str) -> Response:
        item = self.get_object()
        data = self.validated(panel_serializers.AgendaDeferSerializer)
        services.agenda_defer_item(
            actor=request.user, item=item.pk, deferred_to=data["deferred_to_id"], reason=data["reason"]
        )
        return self._item(item.pk)

    @extend_schema(
        summary="Declare the signed-in member's interest in the item",
        description="A prejudicial interest recuses the member. A conflict detected by the system "
        "(a head teacher's own school) cannot be withdrawn.",
        request=panel_serializers.DeclarationInputSerializer,
        responses={200: panel_serializers.DeclarationSerializer, 409: _CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def declarations(self, request: Request, pk: str) -> Response:
        item = self.get_object()
        data = self.validated(panel_serializers.DeclarationInputSerializer)
        declaration = services.declaration_record(actor=request.user, item=item.pk, **data)
        return Response(panel_serializers.DeclarationSerializer(_declaration_body(declaration)).data)

    @extend_schema(
        summary="Correct a member's declaration on the item (the chair, with a reason)",
        description="Once the papers are out a member cannot withdraw or weaken their own declaration; "
        "the chair corrects it, and the minutes record the correction and its reason.",
        request=panel_serializers.DeclarationCorrectSerializer,
        responses={200: panel_serializers.DeclarationSerializer, 409: _CONFLICT},
    )
    @action(detail=True, methods=["post"], url_path="declarations/correct", url_name="declarations-correct")
    def declarations_correct(self, request: Request, pk: str) -> Response:
        item = self.get_object()
        data = self.validated(panel_serializers.DeclarationCorrectSerializer)
        found = Declaration.objects.filter(item=item, member_id=data.pop("member_id")).first()
        if found is None:
            raise ValidationError({"member_id": ["That member has made no declaration on this item"]})
        declaration = services.declaration_correct(actor=request.user, declaration=found.pk, **data)
        return Response(panel_serializers.DeclarationSerializer(_declaration_body(declaration)).data)

    @extend_schema(
        summary="Record the panel's decision on the item",
        description="At a held, quorate meeting, by the meeting's chair or a vice-chair present in "
        "their place, neither the member who made the referral nor recused from it. Every s.39(4) test "
        "is answered (an approval assesses all three); a decline says which fails; an approval has a "
        "cost ceiling (with a reason when below the lowest costed option or more than "
        f"{workflow.CEILING_MARGIN_ABOVE_REQUEST_PERCENT}% above the request); a deferral names a later "
        "scheduled meeting.",
        request=panel_serializers.DecisionInputSerializer,
        responses={201: panel_serializers.PanelDecisionSerializer, 409: _CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def decision(self, request: Request, pk: str) -> Response:
        item = self.get_object()
        data = self.validated(panel_serializers.DecisionInputSerializer)
        data["deferred_to"] = data.pop("deferred_to_id")
        decision = services.decision_record(actor=request.user, item=item.pk, **data)
        decision = PanelDecision.objects.prefetch_related("participants").get(pk=decision.pk)
        return Response(panel_serializers.PanelDecisionSerializer(decision).data, status=status.HTTP_201_CREATED)


# --- Figures -------------------------------------------------------------------------------------


class FiguresView(APIView):
    """The panel's figures for a period (``panels.reports.panel_figures``; definitions there)."""

    permission_classes = [HasAnyCapability]
    read_capabilities = (Capability.REPORTS_VIEW, Capability.PANEL_CHAIR)

    @extend_schema(
        summary="Panel figures for a period",
        description="Referrals received, final decisions, approval rate, costs requested and agreed, "
        "and days from referral to decision, for meetings held between the dates (inclusive).",
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE, description="First day (default: 365 days before `to`)"),
            OpenApiParameter("to", OpenApiTypes.DATE, description="Last day, inclusive (default: today)"),
        ],
        responses={200: panel_serializers.FiguresSerializer},
    )
    def get(self, request: Request) -> Response:
        raw = {"from_": request.query_params.get("from"), "to": request.query_params.get("to")}
        query = panel_serializers.FiguresQuerySerializer(data={k: v for k, v in raw.items() if v not in (None, "")})
        if not query.is_valid():
            errors = flatten_errors(query.errors)
            if "from_" in errors:
                errors["from"] = errors.pop("from_")
            raise ValidationError(errors)
        figures = reports.panel_figures(**query.validated_data)
        return Response(panel_serializers.FiguresSerializer(figures.as_dict()).data)
