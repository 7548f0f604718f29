"""Pages for independent placements: providers, contracts (Individual Placement Agreements) with
their costs, negotiation, penalty clause, attendance returns and deductions, the attendance CSV
upload and the purchasing-power report.

Views are thin: they check the capability, parse a form, call exactly one service in
``placements.services`` and render. Domain errors go back on the form as a GOV.UK error summary.
Reading a contract (a child's placement) leaves an access-log row in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from core.access import access_log_record, access_log_record_many
from core.errors import DomainError
from core.exports import EXPORT_FORMATS, export_gate, export_response
from core.ids import query_id
from core.models import AccessAction, EstablishmentType, NeedType
from core.pages import ActionPage, form_add_domain_error, pagination, requires
from core.roles import Capability, user_can
from panels import workflow as panel_workflow
from panels.models import PanelDecision
from panels.workflow import APPROVALS
from placements import queues, reports, workflow
from placements.forms import (
    ChaseForm,
    ContractCreateForm,
    ContractFilterForm,
    CostLineForm,
    EndForm,
    FeeReviewAgreeForm,
    FeeReviewCloseForm,
    FeeReviewLineForm,
    FeeReviewStartForm,
    NoteForm,
    NoticeForm,
    PenaltyClauseForm,
    ProviderForm,
    ReturnForm,
    ReviewForm,
    ReviewOutcomeForm,
    RoundCorrectForm,
    RoundForm,
    UploadForm,
    WaiveForm,
    provider_choices,
)
from placements.models import (
    OPEN_FEE_REVIEW,
    AttendanceReturn,
    CostLine,
    Deduction,
    FeeReview,
    FeeReviewLine,
    NegotiationRound,
    PenaltyClause,
    PlacementContract,
    PlacementEvent,
    PlacementEventAction,
    PlacementReview,
    Provider,
)
from placements.services import attendance as attendance_services
from placements.services import contracts as contract_services
from placements.services import fee_reviews as fee_review_services
from placements.services import providers as provider_services
from placements.services import reviews as review_services
from placements.versions import annual_cost_on
from placements.workflow import Action, ContractStatus

PAGE_SIZE = 25

STATUS_TAGS: dict[str, str] = {
    ContractStatus.DRAFT: "govuk-tag--grey",
    ContractStatus.NEGOTIATING: "govuk-tag--yellow",
    ContractStatus.ACTIVE: "govuk-tag--green",
    ContractStatus.ENDED: "govuk-tag--blue",
}
DEDUCTION_TAGS: dict[str, str] = {
    workflow.DeductionStatus.PENDING: "govuk-tag--yellow",
    workflow.DeductionStatus.CONFIRMED: "govuk-tag--red",
    workflow.DeductionStatus.WAIVED: "govuk-tag--grey",
}


# --- Small helpers -------------------------------------------------------------------------------


def status_tag(status: str) -> dict[str, str]:
    return {"label": ContractStatus(status).label, "css": STATUS_TAGS.get(status, "")}


def _money(pence: int | None) -> str:
    return "" if pence is None else workflow.format_pounds(pence)


def _contracts(user: Any) -> QuerySet[PlacementContract]:
    return PlacementContract.objects.visible_to(user).with_related()


def _panel_decision_url(decision_id: int) -> str | None:
    """The panel decision a contract is made against; finance may read it
    (``PanelDecision.objects.visible_to``), unlike the meeting's papers."""
    try:
        return reverse("panels:decision-detail", args=[decision_id])
    except NoReverseMatch:  # the panel pages are not installed
        return None


# --- Providers -----------------------------------------------------------------------------------


@requires(Capability.PLACEMENT_VIEW)
def provider_list(request: HttpRequest) -> HttpResponse:
    on = timezone.localdate()
    providers = list(
        Provider.objects.visible_to(request.user)
        .select_related("establishment")
        .annotate(contract_count=Count("contracts"))
        .order_by("establishment__name", "pk")
    )
    # One grouped query for every provider's figures (the report's own definition of "placed").
    figures = {row["provider_id"]: row for row in reports.purchasing_power(on=on)}
    for provider in providers:
        row = figures.get(provider.pk, {})
        provider.placed = row.get("pupils", 0)
        provider.committed = row.get("committed_pence", 0)
        provider.below_good = panel_workflow.inspection_below_good(provider.establishment.ofsted_grade)
    context = {"providers": providers, "can_manage": user_can(request.user, Capability.PLACEMENT_MANAGE), "on": on}
    return render(request, "placements/provider_list.html", context)


@requires(Capability.PLACEMENT_VIEW)
def provider_detail(request: HttpRequest, pk: int) -> HttpResponse:
    provider = get_object_or_404(Provider.objects.visible_to(request.user).select_related("establishment"), pk=pk)
    on = timezone.localdate()
    with transaction.atomic():
        contracts = list(
            PlacementContract.objects.visible_to(request.user)
            .filter(provider=provider)
            .select_related("child")
            .order_by("-start_on", "-pk")
        )
        access_log_record_many(
            user=request.user,
            child_ids=list(dict.fromkeys(c.child_id for c in contracts)),
            object_type="placement_contract",
            path=request.path,
        )
    for contract in contracts:
        contract.tag = status_tag(contract.status)
    figures = next((row for row in reports.purchasing_power(on=on) if row["provider_id"] == provider.pk), None)
    context = {
        "provider": provider,
        "contracts": contracts,
        "figures": figures,
        "figure_links": _figure_links(provider_id=provider.pk, need=None) if figures else {},
        "below_good": panel_workflow.inspection_below_good(provider.establishment.ofsted_grade),
        "on": on,
        "can_manage": user_can(request.user, Capability.PLACEMENT_MANAGE),
    }
    return render(request, "placements/provider_detail.html", context)


@requires(Capability.PLACEMENT_MANAGE)
def provider_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    provider = get_object_or_404(Provider.objects.select_related("establishment"), pk=pk) if pk else None
    initial: dict[str, Any] = {}
    if provider is not None:
        initial = {
            "establishment": provider.establishment_id,
            "procurement_route": provider.procurement_route,
            "framework_lot": provider.framework_lot,
            "fee_bands": provider.fee_bands,
            "fee_min_annual_pence": provider.fee_min_annual_pence,
            "fee_max_annual_pence": provider.fee_max_annual_pence,
            "contact_name": provider.contact_name,
            "contact_email": provider.contact_email,
            "contact_phone": provider.contact_phone,
            "notes": provider.notes,
            "ofsted_grade": provider.establishment.ofsted_grade,
            "ofsted_inspected_on": provider.establishment.ofsted_inspected_on,
            "s41_approved": "yes" if provider.establishment.s41_approved else "no",
        }
    elif establishment_id := query_id(request.GET, "establishment"):
        initial["establishment"] = establishment_id
    form = ProviderForm(request.POST if request.method == "POST" else None, initial=initial, provider=provider)
    if request.method == "POST" and form.is_valid():
        try:
            saved = provider_services.provider_upsert(actor=request.user, **form.service_kwargs())
        except DomainError as exc:
            form_add_domain_error(form, exc)
        else:
            messages.success(request, f"{saved.establishment.name}: commissioning details saved")
            return redirect("placements:provider-detail", pk=saved.pk)
    back = (
        reverse("placements:provider-detail", args=[provider.pk]) if provider else reverse("placements:provider-list")
    )
    context = {
        "form": form,
        "title": "Change the provider's details" if provider else "Add a provider",
        "caption": provider.establishment.name if provider else "Providers",
        "submit_label": "Save the provider",
        "back_url": back,
        "cancel_url": back,
    }
    return render(request, "placements/form_page.html", context)


# --- Contract list -------------------------------------------------------------------------------


@requires(Capability.PLACEMENT_VIEW)
def contract_list(request: HttpRequest) -> HttpResponse:
    params = request.GET
    figure = params.get("figure") if params.get("figure") in reports.METRICS else None
    provider_id = query_id(params, "provider")
    need = params.get("need") if params.get("need") in NeedType.values else None
    filter_form = ContractFilterForm(params or None, providers=provider_choices())
    if figure:
        contracts = reports.contracts_for(figure, provider_id, need).visible_to(request.user)
    else:
        contracts = _contracts(request.user).order_by("-start_on", "-pk")
        if filter_form.is_bound and filter_form.is_valid():
            data = filter_form.cleaned_data
            if data["status"]:
                contracts = contracts.filter(status=data["status"])
            if data["provider"]:
                contracts = contracts.filter(provider_id=data["provider"])
            if data["need"]:
                contracts = contracts.filter(child__primary_need=data["need"])
    paginator = Paginator(contracts, PAGE_SIZE)
    page = paginator.get_page(params.get("page"))
    with transaction.atomic():
        rows = list(page.object_list)
        access_log_record_many(
            user=request.user,
            child_ids=list(dict.fromkeys(row.child_id for row in rows)),
            object_type="placement_contract",
            path=request.path,
        )
    for row in rows:
        row.tag = status_tag(row.status)
    query = params.copy()
    query.pop("page", None)
    figure_label = None
    if figure:
        figure_label = _figure_description(figure, provider_id, need)
    context = {
        "rows": rows,
        "page": page,
        "total": paginator.count,
        "pagination": pagination(page, query.urlencode()),
        "filter_form": filter_form,
        "figure_label": figure_label,
        "can_manage": user_can(request.user, Capability.PLACEMENT_MANAGE),
        "filtered": bool(figure) or any(params.get(n) for n in ("status", "provider", "need")),
        "queue_summary": _queue_summary(request.user, timezone.localdate()),
    }
    return render(request, "placements/contract_list.html", context)


FIGURE_LABELS = {
    "pupils": "pupils placed today",
    "committed": "committed annual spend",
    "savings": "negotiation savings",
    "deductions": "deductions applied",
    "returns_below": "returns below the attendance threshold",
}


def _figure_description(figure: str, provider_id: int | None, need: str | None) -> str:
    text = f"The contracts behind the figure for {FIGURE_LABELS[figure]}"
    if provider_id is not None:
        name = Provider.objects.filter(pk=provider_id).values_list("establishment__name", flat=True).first()
        if name:
            text += f" at {name}"
    if need:
        text += f", primary need {NeedType(need).label.lower()}"
    return text


# --- Creating a contract from a panel approval --------------------------------------------------


def _approvals_without_contract() -> QuerySet[PanelDecision]:
    return (
        PanelDecision.objects.filter(
            outcome__in=[o.value for o in APPROVALS],
            placement_contracts__isnull=True,
            item__referral__proposed_establishment__type_group__in=EstablishmentType.independent_or_non_maintained(),
        )
        .select_related(
            "item__meeting",
            "item__referral__request__child",
            "item__referral__proposed_establishment__provider",
        )
        .order_by("-item__meeting__held_on", "-pk")
    )


def _provider_of(establishment: Any) -> Provider | None:
    try:
        return establishment.provider
    except Provider.DoesNotExist:
        return None


@requires(Capability.PLACEMENT_MANAGE)
def contract_create(request: HttpRequest) -> HttpResponse:
    decision_id = query_id(request.GET, "decision") or query_id(request.POST, "decision")
    if decision_id is None:
        with transaction.atomic():
            decisions = list(_approvals_without_contract()[:200])
            access_log_record_many(
                user=request.user,
                child_ids=list(dict.fromkeys(d.item.referral.request.child_id for d in decisions)),
                object_type="panel_decision",
                path=request.path,
            )
        for decision in decisions:
            decision.provider = _provider_of(decision.item.referral.proposed_establishment)
        return render(request, "placements/contract_choose.html", {"decisions": decisions})

    decision = get_object_or_404(
        PanelDecision.objects.select_related(
            "item__meeting", "item__referral__request__child", "item__referral__proposed_establishment__provider"
        ),
        pk=decision_id,
    )
    referral = decision.item.referral
    establishment = referral.proposed_establishment
    provider = _provider_of(establishment) if establishment else None
    existing = decision.placement_contracts.order_by("-pk").first()
    start = decision.item.meeting.held_on
    form = ContractCreateForm(
        request.POST if request.method == "POST" else None,
        initial={"start_on": start, "annual_review_on": date(start.year + 1, start.month, 1)},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            contract = contract_services.contract_create(
                actor=request.user,
                panel_decision=decision,
                provider=provider.pk if provider else 0,
                start_on=data["start_on"],
                end_on=data["end_on"],
                annual_review_on=data["annual_review_on"],
                note=data["note"],
                notice_period=data["notice_period"],
                notice_period_unit=workflow.NoticeUnit.WEEKS,
                first_review_on=data["first_review_on"],
            )
        except DomainError as exc:
            form_add_domain_error(form, exc)
        else:
            messages.success(request, f"Contract {contract.reference} drafted. Add the cost lines the provider quoted")
            return redirect("placements:contract-detail", pk=contract.pk)
    with transaction.atomic():
        access_log_record(
            user=request.user,
            child_id=referral.request.child_id,
            object_type="panel_decision",
            object_id=decision.pk,
            path=request.path,
        )
    context = {
        "form": form,
        "decision": decision,
        "referral": referral,
        "child": referral.request.child,
        "establishment": establishment,
        "provider": provider,
        "existing": existing,
        "approved": decision.outcome in {o.value for o in APPROVALS},
        "meeting_url": _panel_decision_url(decision.pk),
    }
    return render(request, "placements/contract_create.html", context)


# --- Contract detail -----------------------------------------------------------------------------


@dataclass
class LineRow:
    line: CostLine
    category: str
    period: str
    quoted_annual: int
    agreed_annual: int | None
    benchmark: dict[str, int | None]
    flags: list[str]


def _line_rows(lines: list[CostLine], benchmarks: dict[str, panel_workflow.Benchmark]) -> list[LineRow]:
    return [
        LineRow(
            line=line,
            category=workflow.CostCategory(line.category).label,
            period=workflow.Period(line.period).label,
            quoted_annual=line.quoted_annual_pence,
            agreed_annual=line.agreed_annual_pence,
            benchmark=(bench := benchmarks.get(line.category, panel_workflow.Benchmark())).as_dict(),
            flags=[
                f"{which}: {flag.label.lower()}"
                for which, amount in (("Quote", line.quoted_annual_pence), ("Agreed", line.agreed_annual_pence))
                for flag in panel_workflow.cost_flags(amount, bench)
            ],
        )
        for line in lines
    ]


def _amount_text(pence: Any, *, empty: str = "none") -> str:
    return empty if pence is None else workflow.format_pounds(int(pence))


def _category_text(code: Any) -> str:
    return workflow.COST_CATEGORY_LABELS.get(workflow.CostCategory(code), str(code)) if code else "none"


def _period_text(code: Any) -> str:
    return workflow.Period(code).label.lower() if code else "none"


def _date_text(value: Any) -> str:
    return workflow.long_date(date.fromisoformat(value)) if value else "none"


# What the timeline shows of a cost line or a round: (payload key, label, how to show a value).
LINE_FIELDS: tuple[tuple[str, str, Any], ...] = (
    ("category", "Kind of cost", _category_text),
    ("quoted_amount_pence", "Quoted amount", _amount_text),
    ("agreed_amount_pence", "Agreed amount", lambda v: _amount_text(v, empty="not agreed")),
    ("period", "Charged", _period_text),
    ("periods_per_year", "Periods a year", lambda v: "none" if v is None else str(v)),
)
ROUND_FIELDS: tuple[tuple[str, str, Any], ...] = (
    ("on", "Date", _date_text),
    ("provider_offer_pence", "Provider's offer a year", _amount_text),
    ("council_counter_offer_pence", "Council's counter-offer a year", lambda v: _amount_text(v, empty="none made")),
)


def _changes(payload: dict[str, Any], fields: tuple[tuple[str, str, Any], ...]) -> list[str]:
    """ "Label: before → after" for every field that changed (``payload["before"]`` against the
    payload's own values)."""
    before = payload.get("before") or {}
    return [
        f"{label}: {show(before.get(key))} → {show(payload.get(key))}"
        for key, label, show in fields
        if key in before and before.get(key) != payload.get(key)
    ]


def _event_details(action: str, payload: dict[str, Any]) -> list[str]:
    """The figures behind a timeline entry, so a reader sees what changed without the database."""
    if action == PlacementEventAction.COST_LINE_UPDATED and "before" in payload:
        details = _changes(payload, LINE_FIELDS)
        if payload.get("description_changed"):
            details.append("Description changed")
        return details or ["No figures changed"]
    if action == PlacementEventAction.COST_LINE_ADDED:
        return [f"{label}: {show(payload.get(key))}" for key, label, show in LINE_FIELDS if key in payload]
    if action == PlacementEventAction.ROUND_RECORDED:
        return [f"{label}: {show(payload.get(key))}" for key, label, show in ROUND_FIELDS if key in payload]
    if action == PlacementEventAction.ROUND_CORRECTED:
        return [f"Round {payload.get('round_no')}", *_changes(payload, ROUND_FIELDS)]
    return []


def _position(contract: PlacementContract, rounds: list[NegotiationRound]) -> str:
    return workflow.position(
        [(r.on, r.provider_offer_pence, r.council_counter_offer_pence) for r in rounds],
        contract.quoted_annual_cost_pence,
    )


ACTION_LINKS: tuple[tuple[workflow.Action, str, str], ...] = (
    (Action.START_NEGOTIATION, "placements:contract-start-negotiation", "Start negotiation"),
    (Action.AGREE, "placements:contract-agree", "Agree the fees"),
    (Action.END, "placements:contract-end", "End the placement"),
)


def _contract_detail_qs(user: Any) -> QuerySet[PlacementContract]:
    return _contracts(user).select_related(
        "child__district", "panel_decision__item__meeting", "panel_decision__item__referral"
    )


@requires(Capability.PLACEMENT_VIEW)
def contract_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    with transaction.atomic():
        contract = get_object_or_404(_contract_detail_qs(user), pk=pk)
        access_log_record(
            user=user,
            child_id=contract.child_id,
            object_type="placement_contract",
            object_id=contract.pk,
            path=request.path,
        )
        lines = list(contract.cost_lines.order_by("pk"))
        # In the order they happened; the same day in the order they were entered.
        rounds = list(contract.negotiation_rounds.select_related("recorded_by").order_by("on", "round_no"))
        clause = PenaltyClause.objects.filter(contract=contract).first()
        returns = list(
            AttendanceReturn.objects.filter(contract=contract)
            .select_related("deduction__decided_by")
            .order_by("period_start", "pk")
        )
        events = list(PlacementEvent.objects.filter(contract=contract).select_related("actor").order_by("occurred_at"))
        reviews = list(
            PlacementReview.objects.filter(contract=contract).select_related("recorded_by").order_by("due_on", "pk")
        )
        benchmarks = reports.contract_line_benchmarks(contract=contract) if lines else {}
    manage = user_can(user, Capability.PLACEMENT_MANAGE)
    status = ContractStatus(contract.status)
    allowed = set(workflow.allowed_actions(status)) if manage else set()
    for attendance in returns:
        attendance.deduction_row = getattr(attendance, "deduction", None) if _has_deduction(attendance) else None
        attendance.rate = workflow.attendance_rate(
            attendance.sessions_possible,
            attendance.sessions_attended,
            attendance.authorised_absence,
            authorised_counts_as_attended=clause.authorised_counts_as_attended if clause else True,
        )
        if attendance.deduction_row is not None:
            attendance.deduction_tag = DEDUCTION_TAGS.get(attendance.deduction_row.status, "")
    for event in events:
        event.label = event.get_action_display()
        event.details = _event_details(event.action, event.payload)
        event.from_label = ContractStatus(event.from_status).label if event.from_status else ""
        event.to_label = ContractStatus(event.to_status).label if event.to_status else ""
    decision = contract.panel_decision
    ceiling = decision.agreed_annual_ceiling_pence or 0
    context = {
        "contract": contract,
        "child": contract.child,
        "tag": status_tag(contract.status),
        "decision": decision,
        "ceiling": ceiling,
        "over_ceiling": contract.agreed_annual_cost_pence > ceiling,
        "meeting_url": _panel_decision_url(decision.pk),
        "line_rows": _line_rows(lines, benchmarks),
        "rounds": rounds,
        "agreed": status in workflow.AGREED_STATUSES,
        "position": _position(contract, rounds),
        "lines_agreed": sum(1 for line in lines if line.agreed_amount_pence is not None),
        "clause": clause,
        "clause_rule": workflow.PenaltyRule(clause.rule).label if clause else "",
        "returns": returns,
        "events": events,
        "actions": [
            {"label": label, "url": reverse(name, args=[contract.pk])}
            for action, name, label in ACTION_LINKS
            if action in allowed
        ],
        "can_change_lines": Action.CHANGE_COST_LINES in allowed,
        "can_record_round": Action.RECORD_ROUND in allowed,
        "can_set_clause": Action.SET_PENALTY_CLAUSE in allowed,
        "can_submit_return": Action.SUBMIT_RETURN in allowed,
        "can_decide": Action.DECIDE_DEDUCTION in allowed,
        "can_manage": manage,
        **_life_context(contract, reviews, clause, manage=manage),
        # Fees over time (docs/domain.md §2.6)
        "versions": _version_rows(list(contract.versions.select_related("fee_review").order_by("version_no"))),
        "fee_reviews": list(contract.fee_reviews.order_by("-received_on", "-pk")),
        "cost_today": annual_cost_on(contract, timezone.localdate()),
        "can_start_fee_review": manage
        and contract.status == ContractStatus.ACTIVE
        and not contract.fee_reviews.filter(status__in=OPEN_FEE_REVIEW).exists(),
    }
    return render(request, "placements/contract_detail.html", context)


def _version_rows(versions: list[Any]) -> list[tuple[Any, workflow.PriceFigures]]:
    """Each fee version with its saving (asked − agreed) and uplift (against the version before)."""
    figures = workflow.version_figures([(v.requested_annual_cost_pence, v.annual_cost_pence) for v in versions])
    return list(zip(versions, figures, strict=True))


REVIEW_TAGS = {
    workflow.ReviewState.DONE: "govuk-tag--green",
    workflow.ReviewState.OVERDUE: "govuk-tag--red",
    workflow.ReviewState.DUE_SOON: "govuk-tag--yellow",
    workflow.ReviewState.UPCOMING: "govuk-tag--grey",
}


def _life_context(
    contract: PlacementContract, reviews: list[PlacementReview], clause: PenaltyClause | None, *, manage: bool
) -> dict[str, Any]:
    """The placement's reviews, its notice and ending, and the attendance the panel expected set
    beside the penalty clause's threshold."""
    today = timezone.localdate()
    status = ContractStatus(contract.status)
    for review in reviews:
        state = review.state(today)
        review.state_label = state.label
        review.state_tag = REVIEW_TAGS[state]
        review.outcome_label = workflow.ReviewOutcome(review.outcome).label if review.outcome else ""
    open_review = next((r for r in reviews if not r.outcome), None)
    expected = next(
        (r.expected_attendance_percent for r in reversed(reviews) if r.expected_attendance_percent is not None), None
    )
    return {
        "reviews": reviews,
        "open_review": open_review,
        "expected_attendance": expected,
        "attendance_note": workflow.attendance_expectation_note(expected, clause.threshold_percent if clause else None),
        "can_schedule_review": manage and status in workflow.REVIEW_SCHEDULE_STATUSES and open_review is None,
        "can_change_review": manage and status in workflow.REVIEW_SCHEDULE_STATUSES,
        "can_record_review": manage and status in workflow.REVIEW_STATUSES,
        "can_give_notice": manage and status is ContractStatus.ACTIVE,
        "earliest_end": (
            workflow.earliest_end(contract.notice_given_on, contract.notice_period_days)
            if contract.notice_given_on
            else None
        ),
        "leaving_reason_label": (
            workflow.LeavingReason(contract.leaving_reason).label if contract.leaving_reason else ""
        ),
    }


def _has_deduction(attendance: AttendanceReturn) -> bool:
    try:
        attendance.deduction  # noqa: B018 - loaded by select_related; raises when there is none
    except Deduction.DoesNotExist:
        return False
    return True


# --- One page per action -------------------------------------------------------------------------


class ContractActionView(ActionPage):
    """An action on a contract: the action's capability guards the page, the transition table
    decides whether it can be taken now; success returns to the contract with a banner."""

    action: workflow.Action
    form_class: type[forms.Form] = NoteForm
    template_name = "placements/form_page.html"
    invalid_status = 400

    contract: PlacementContract

    def capability(self) -> Capability:
        return workflow.ACTION_CAPABILITY[self.action]

    def load(self, **kwargs: Any) -> None:
        self.contract = self.get_contract(**kwargs)

    def get_contract(self, **kwargs: Any) -> PlacementContract:
        return get_object_or_404(_contracts(self.request.user), pk=kwargs["pk"])

    def not_allowed_now(self) -> str | None:
        try:
            workflow.check_transition(self.contract.status, self.action)
        except workflow.TransitionError as exc:
            return exc.message
        return None

    def success_url(self) -> str:
        return reverse("placements:contract-detail", args=[self.contract.pk])

    def page_context(self) -> dict[str, Any]:
        return {
            "contract": self.contract,
            "caption": f"{self.contract.reference} – {self.contract.child.full_name}",
        }


def _totals_summary(contract: PlacementContract) -> list[tuple[str, str]]:
    ceiling = PanelDecision.objects.values_list("agreed_annual_ceiling_pence", flat=True).get(
        pk=contract.panel_decision_id
    )
    return [
        ("Quoted annual cost", _money(contract.quoted_annual_cost_pence)),
        ("Agreed annual cost", _money(contract.agreed_annual_cost_pence)),
        ("Panel's ceiling", _money(ceiling)),
    ]


class StartNegotiationView(ContractActionView):
    action = Action.START_NEGOTIATION
    title = "Start negotiation"
    intro = "Record the provider's quote as cost lines, then the rounds of offers until the fees are agreed."
    submit_label = "Start negotiation"
    success_message = "Negotiation started"

    def perform(self, form: Any) -> Any:
        return contract_services.contract_start_negotiation(
            actor=self.request.user, contract=self.contract, note=form.cleaned_data["note"]
        )


class AgreeView(ContractActionView):
    action = Action.AGREE
    title = "Agree the fees"
    intro = (
        "Every cost line needs an agreed amount, and the agreed annual cost must be within the panel's ceiling. "
        "The placement then becomes active."
    )
    submit_label = "Agree the fees"
    success_message = "Fees agreed. The placement is active"

    def extra_context(self) -> dict[str, Any]:
        return {"summary": _totals_summary(self.contract)}

    def perform(self, form: Any) -> Any:
        return contract_services.contract_agree(
            actor=self.request.user, contract=self.contract, note=form.cleaned_data["note"]
        )


class EndView(ContractActionView):
    action = Action.END
    form_class = EndForm
    title = "End the placement"
    submit_label = "End the placement"
    success_message = "Placement ended"

    def initial(self) -> dict[str, Any]:
        return {"ended_on": timezone.localdate()}

    def extra_context(self) -> dict[str, Any]:
        return {"summary": _notice_summary(self.contract)}

    def perform(self, form: Any) -> Any:
        return contract_services.contract_end(actor=self.request.user, contract=self.contract, **form.cleaned_data)


def _notice_summary(contract: PlacementContract) -> list[tuple[str, str]]:
    rows = [
        (
            "Notice period",
            f"{contract.notice_period_days} days"
            if contract.notice_period_days is not None
            else "None on the contract",
        )
    ]
    if contract.notice_given_on:
        rows.append(("Notice given", workflow.long_date(contract.notice_given_on)))
        rows.append(
            (
                "Earliest end the notice allows",
                workflow.long_date(workflow.earliest_end(contract.notice_given_on, contract.notice_period_days)),
            )
        )
    if contract.end_on:
        rows.append(("Planned last day", workflow.long_date(contract.end_on)))
    return rows


class NoticeView(ContractActionView):
    action = Action.END
    form_class = NoticeForm
    title = "Give notice to end the placement"
    intro = (
        "The placement may end on the day notice was given plus the notice period at the earliest. "
        "It stays active until the child leaves: then record the end."
    )
    submit_label = "Record the notice"
    success_message = "Notice recorded"

    def initial(self) -> dict[str, Any]:
        today = timezone.localdate()
        return {
            "given_on": today,
            "planned_end_on": workflow.earliest_end(today, self.contract.notice_period_days),
            "notice_period_unit": workflow.NoticeUnit.DAYS.value,
        }

    def extra_context(self) -> dict[str, Any]:
        return {"summary": _notice_summary(self.contract)}

    def perform(self, form: Any) -> Any:
        return review_services.contract_give_notice(
            actor=self.request.user, contract=self.contract, **form.cleaned_data
        )


class ReviewScheduleView(ContractActionView):
    form_class = ReviewForm
    title = "Schedule a placement review"
    intro = "A review checks the placement against what the panel expected: attendance and outcomes for the child."
    submit_label = "Schedule the review"
    success_message = "Placement review scheduled"

    def capability(self) -> Capability:
        return Capability.PLACEMENT_MANAGE

    def not_allowed_now(self) -> str | None:
        if ContractStatus(self.contract.status) not in workflow.REVIEW_SCHEDULE_STATUSES:
            label = ContractStatus(self.contract.status).label.lower()
            return f"A contract that is {label} cannot have reviews scheduled."
        if PlacementReview.objects.filter(contract=self.contract).open().exists():
            return "This placement already has a review to hold; change that one instead."
        return None

    def initial(self) -> dict[str, Any]:
        return {"due_on": max(timezone.localdate(), workflow.first_review_due(self.contract.start_on))}

    def perform(self, form: Any) -> Any:
        return review_services.review_schedule(actor=self.request.user, contract=self.contract, **form.cleaned_data)


class _ReviewView(ContractActionView):
    review: PlacementReview

    def capability(self) -> Capability:
        return Capability.PLACEMENT_MANAGE

    def get_contract(self, **kwargs: Any) -> PlacementContract:
        self.review = get_object_or_404(PlacementReview, pk=kwargs["pk"])
        return get_object_or_404(_contracts(self.request.user), pk=self.review.contract_id)

    def success_url(self) -> str:
        return reverse("placements:contract-detail", args=[self.contract.pk]) + "#reviews"


class ReviewEditView(_ReviewView):
    form_class = ReviewForm
    title = "Change a placement review"
    submit_label = "Save the review"
    success_message = "Placement review saved"

    def not_allowed_now(self) -> str | None:
        if self.review.outcome:
            return "This review has already been held; its outcome cannot be changed."
        if ContractStatus(self.contract.status) not in workflow.REVIEW_SCHEDULE_STATUSES:
            return (
                f"A contract that is {ContractStatus(self.contract.status).label.lower()} cannot have reviews changed."
            )
        return None

    def initial(self) -> dict[str, Any]:
        return {
            "due_on": self.review.due_on,
            "expected_attendance_percent": _percent_text(self.review.expected_attendance_percent),
            "expected_outcomes": self.review.expected_outcomes,
        }

    def perform(self, form: Any) -> Any:
        return review_services.review_update(actor=self.request.user, review=self.review, **form.cleaned_data)


class ReviewOutcomeView(_ReviewView):
    """Finance records any review's outcome; an SEN officer those of their own cases (the review's
    object rule, ``PlacementReviewQuerySet.visible_to``), without seeing the contract's money."""

    form_class = ReviewOutcomeForm
    title = "Record the review's outcome"
    submit_label = "Record the outcome"
    success_message = "Review outcome recorded"

    def capability(self) -> Capability:
        return Capability.PLACEMENT_REVIEW_RECORD

    def get_contract(self, **kwargs: Any) -> PlacementContract:
        self.review = get_object_or_404(PlacementReview.objects.visible_to(self.request.user), pk=kwargs["pk"])
        return PlacementContract.objects.with_related().get(pk=self.review.contract_id)

    def success_url(self) -> str:
        if user_can(self.request.user, Capability.PLACEMENT_VIEW):
            return super().success_url()
        return reverse("placements:case-reviews")

    def not_allowed_now(self) -> str | None:
        if self.review.outcome:
            return "This review has already been held; its outcome cannot be changed."
        if not workflow.review_outcomes_allowed(self.contract.status):
            label = ContractStatus(self.contract.status).label.lower()
            return f"A placement that is {label} cannot have a review outcome recorded."
        return None

    def initial(self) -> dict[str, Any]:
        return {"held_on": timezone.localdate()}

    def extra_context(self) -> dict[str, Any]:
        summary = [("Due", workflow.long_date(self.review.due_on))]
        if self.review.expected_attendance_percent is not None:
            summary.append(("Expected attendance", f"{_percent_text(self.review.expected_attendance_percent)}%"))
        if self.review.expected_outcomes:
            summary.append(("Expected outcomes", self.review.expected_outcomes))
        return {
            "summary": summary + _notice_summary(self.contract),
            "documents_url": reverse("documents:owner", args=["placement_review", self.review.pk]),
        }

    def perform(self, form: Any) -> Any:
        return review_services.review_record_outcome(actor=self.request.user, review=self.review, **form.cleaned_data)


@requires(Capability.PLACEMENT_REVIEW_RECORD)
@require_safe
def case_reviews(request: HttpRequest) -> HttpResponse:
    """The open placement reviews of the children whose case is the officer's (every open review
    for finance), soonest due first, each with the way to record it."""
    reviews = (
        PlacementReview.objects.visible_to(request.user)
        .open()
        .filter(contract__status__in=[ContractStatus.ACTIVE, ContractStatus.NEGOTIATING])
        .select_related("contract__child", "contract__provider__establishment")
        .order_by("due_on", "pk")
    )
    paginator = Paginator(reviews, PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    rows = list(page.object_list)
    today = timezone.localdate()
    with transaction.atomic():
        access_log_record_many(
            user=request.user,
            child_ids=list(dict.fromkeys(review.contract.child_id for review in rows)),
            object_type="placement_review",
            path=request.path,
        )
    context = {
        "rows": [(review, state, REVIEW_TAGS[state]) for review in rows for state in [review.state(today)]],
        "page": page,
        "total": paginator.count,
        "pagination": pagination(page, ""),
    }
    return render(request, "placements/case_reviews.html", context)


class ChaseView(ActionPage):
    """Record that a provider was chased for last month's missing attendance returns."""

    form_class = ChaseForm
    template_name = "placements/form_page.html"
    submit_label = "Record the chase"
    success_message = "Chase recorded"

    provider: Provider
    period: tuple[date, date]

    def capability(self) -> Capability:
        return Capability.PLACEMENT_MANAGE

    def load(self, **kwargs: Any) -> None:
        self.provider = get_object_or_404(
            Provider.objects.visible_to(self.request.user).select_related("establishment"), pk=kwargs["pk"]
        )
        self.period = workflow.last_closed_month(timezone.localdate())
        self.title = f"Record that you chased {self.provider.establishment.name}"

    def initial(self) -> dict[str, Any]:
        return {"chased_on": timezone.localdate()}

    def success_url(self) -> str:
        return reverse("placements:queue-detail", args=[workflow.Queue.RETURNS_MISSING.value])

    def page_context(self) -> dict[str, Any]:
        start, end = self.period
        return {
            "caption": "Attendance returns not received",
            "summary": [("Provider", self.provider.establishment.name), ("Period", f"{start:%B %Y}")],
        }

    def perform(self, form: Any) -> Any:
        start, end = self.period
        return review_services.returns_chase_record(
            actor=self.request.user, provider=self.provider, period_start=start, period_end=end, **form.cleaned_data
        )


class CostLineAddView(ContractActionView):
    action = Action.CHANGE_COST_LINES
    form_class = CostLineForm
    title = "Add a cost line"
    intro = "Enter the amount as the provider charges it; the annual cost is worked out from the period."
    submit_label = "Add the cost line"
    success_message = "Cost line added"

    def initial(self) -> dict[str, Any]:
        return {"period": workflow.Period.YEAR.value}

    def perform(self, form: Any) -> Any:
        return contract_services.cost_line_add(actor=self.request.user, contract=self.contract, **form.cleaned_data)


class CostLineEditView(ContractActionView):
    action = Action.CHANGE_COST_LINES
    form_class = CostLineForm
    title = "Change a cost line"
    submit_label = "Save the cost line"
    success_message = "Cost line saved"

    line: CostLine

    def get_contract(self, **kwargs: Any) -> PlacementContract:
        self.line = get_object_or_404(CostLine, pk=kwargs["pk"])
        return get_object_or_404(_contracts(self.request.user), pk=self.line.contract_id)

    def initial(self) -> dict[str, Any]:
        line = self.line
        return {
            "category": line.category,
            "description": line.description,
            "quoted_amount_pence": line.quoted_amount_pence,
            "agreed_amount_pence": line.agreed_amount_pence,
            "period": line.period,
            "periods_per_year": line.periods_per_year,
        }

    def perform(self, form: Any) -> Any:
        data = form.cleaned_data
        return contract_services.cost_line_update(
            actor=self.request.user,
            line=self.line,
            category=data["category"],
            description=data["description"],
            quoted_amount_pence=data["quoted_amount_pence"],
            agreed_amount_pence=data["agreed_amount_pence"],
            period=data["period"],
            periods_per_year=data["periods_per_year"],
            fifty_two_week=data["fifty_two_week"],
        )


class RoundView(ContractActionView):
    action = Action.RECORD_ROUND
    form_class = RoundForm
    title = "Record a negotiation round"
    intro = (
        "Annual amounts: the provider's offer (no more than the quote) and the council's counter-offer "
        "(no more than the offer or the panel's ceiling). A round entered wrongly can be corrected, with a reason."
    )
    submit_label = "Record the round"
    success_message = "Negotiation round recorded"

    def initial(self) -> dict[str, Any]:
        return {"on": timezone.localdate()}

    def extra_context(self) -> dict[str, Any]:
        return {"summary": _totals_summary(self.contract)}

    def perform(self, form: Any) -> Any:
        return contract_services.negotiation_round_record(
            actor=self.request.user, contract=self.contract, **form.cleaned_data
        )


class RoundCorrectView(ContractActionView):
    action = Action.RECORD_ROUND
    form_class = RoundCorrectForm
    title = "Correct a negotiation round"
    intro = (
        "Put right a date or figure entered wrongly. The history keeps the figures before and after, with your reason."
    )
    submit_label = "Save the correction"
    success_message = "Negotiation round corrected"

    negotiation_round: NegotiationRound

    def get_contract(self, **kwargs: Any) -> PlacementContract:
        self.negotiation_round = get_object_or_404(NegotiationRound, pk=kwargs["pk"])
        return get_object_or_404(_contracts(self.request.user), pk=self.negotiation_round.contract_id)

    def initial(self) -> dict[str, Any]:
        found = self.negotiation_round
        return {
            "on": found.on,
            "provider_offer_pence": found.provider_offer_pence,
            "council_counter_offer_pence": found.council_counter_offer_pence,
            "notes": found.notes,
        }

    def extra_context(self) -> dict[str, Any]:
        return {"summary": _totals_summary(self.contract)}

    def perform(self, form: Any) -> Any:
        return contract_services.negotiation_round_correct(
            actor=self.request.user, negotiation_round=self.negotiation_round, **form.cleaned_data
        )


class PenaltyClauseView(ContractActionView):
    action = Action.SET_PENALTY_CLAUSE
    form_class = PenaltyClauseForm
    title = "Attendance penalty clause"
    intro = (
        "Below the threshold, part of the period's fee is withheld. Returns already received keep the "
        "deductions worked out under the clause they were submitted under."
    )
    submit_label = "Save the clause"
    success_message = "Attendance penalty clause saved"

    def initial(self) -> dict[str, Any]:
        clause = PenaltyClause.objects.filter(contract=self.contract).first()
        if clause is None:
            expected = (
                PlacementReview.objects.filter(contract=self.contract, expected_attendance_percent__isnull=False)
                .order_by("-due_on", "-pk")
                .values_list("expected_attendance_percent", flat=True)
                .first()
            )
            return {
                # The panel's expected attendance, when it set one (shown beside the clause).
                "threshold_percent": _percent_text(expected) if expected is not None else "90",
                "rule": workflow.PenaltyRule.PERCENT_OF_PERIOD_FEE.value,
                "deduction_percent": "10",
                "authorised_counts_as_attended": "yes",
            }
        return {
            "threshold_percent": _percent_text(clause.threshold_percent),
            "rule": clause.rule,
            "deduction_percent": _percent_text(clause.deduction_percent),
            "per_session_pence": clause.per_session_pence,
            "authorised_counts_as_attended": "yes" if clause.authorised_counts_as_attended else "no",
        }

    def perform(self, form: Any) -> Any:
        return contract_services.penalty_clause_set(
            actor=self.request.user, contract=self.contract, **form.service_kwargs()
        )


def _percent_text(value: Decimal | None) -> str:
    if value is None:
        return ""
    text = f"{value:.2f}"
    return text.rstrip("0").rstrip(".")


class ReturnView(ContractActionView):
    action = Action.SUBMIT_RETURN
    form_class = ReturnForm
    title = "Enter an attendance return"
    intro = (
        "Sessions are half days. A return for a period already on file corrects it, and any deduction is "
        "worked out again."
    )
    submit_label = "Save the return"
    success_message = "Attendance return saved"

    def initial(self) -> dict[str, Any]:
        return {"period_kind": workflow.PeriodKind.TERM.value}

    def perform(self, form: Any) -> Any:
        attendance = attendance_services.attendance_return_submit(
            actor=self.request.user, contract=self.contract, **form.service_kwargs()
        )
        deduction = Deduction.objects.filter(attendance_return=attendance).first()
        if deduction is not None:
            self.success_message = (
                f"Attendance return saved. Attendance is below the threshold: a deduction of "
                f"{_money(deduction.amount_pence)} is waiting to be confirmed or waived"
            )
        return attendance


class _DeductionView(ContractActionView):
    action = Action.DECIDE_DEDUCTION
    deduction: Deduction

    def get_contract(self, **kwargs: Any) -> PlacementContract:
        self.deduction = get_object_or_404(Deduction.objects.select_related("attendance_return"), pk=kwargs["pk"])
        return get_object_or_404(_contracts(self.request.user), pk=self.deduction.attendance_return.contract_id)

    def not_allowed_now(self) -> str | None:
        if self.deduction.status != workflow.DeductionStatus.PENDING:
            return f"This deduction has already been {self.deduction.status}."
        return super().not_allowed_now()

    def extra_context(self) -> dict[str, Any]:
        attendance = self.deduction.attendance_return
        return {
            "summary": [
                ("Period", f"{attendance.period_start:%-d %B %Y} to {attendance.period_end:%-d %B %Y}"),
                ("Deduction", _money(self.deduction.amount_pence)),
            ],
            "working": self.deduction.working,
        }


class DeductionConfirmView(_DeductionView):
    form_class = NoteForm
    title = "Confirm the deduction"
    intro = "The amount comes off the provider's invoice for the period."
    submit_label = "Confirm the deduction"
    success_message = "Deduction confirmed"

    def perform(self, form: Any) -> Any:
        return attendance_services.deduction_confirm(
            actor=self.request.user, deduction=self.deduction, note=form.cleaned_data["note"]
        )


class DeductionWaiveView(_DeductionView):
    form_class = WaiveForm
    title = "Waive the deduction"
    submit_label = "Waive the deduction"
    success_message = "Deduction waived"

    def perform(self, form: Any) -> Any:
        return attendance_services.deduction_waive(
            actor=self.request.user, deduction=self.deduction, reason=form.cleaned_data["reason"]
        )


# --- Attendance upload ---------------------------------------------------------------------------


@requires(Capability.PLACEMENT_MANAGE)
def attendance_upload(request: HttpRequest) -> HttpResponse:
    form = UploadForm(request.POST, request.FILES) if request.method == "POST" else UploadForm()
    result = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            result = attendance_services.attendance_returns_import_csv(
                actor=request.user, file_text=form.cleaned_data["file"]
            )
            if result.ok:
                messages.success(request, result.summary())
                return redirect("placements:attendance-upload")
            form.add_error("file", result.summary())
        status = 400
    context = {
        "form": form,
        "result": result,
        "columns": attendance_services.CSV_COLUMNS,
        "example": _example_csv(),
    }
    return render(request, "placements/attendance_upload.html", context, status=status)


def _example_csv() -> list[list[str]]:
    return [
        list(attendance_services.CSV_COLUMNS),
        ["IPA-000123", "term", "2026-01-05", "2026-03-27", "120", "104", "8", "8"],
    ]


# --- Purchasing power ------------------------------------------------------------------------------

PROVIDER_HEADERS: tuple[tuple[str, str, bool], ...] = (
    # column, header, money
    ("provider_name", "Provider", False),
    ("pupils", "Pupils placed", False),
    ("committed_pence", "Committed a year", True),
    ("average_pence", "Average a pupil", True),
    ("min_pence", "Lowest", True),
    ("max_pence", "Highest", True),
    ("savings_pence", "Savings", True),
    ("deductions_pence", "Deductions applied", True),
    ("returns_below", "Returns below threshold", False),
)
NEED_HEADERS: tuple[tuple[str, str, bool], ...] = (
    PROVIDER_HEADERS[0],
    ("primary_need", "Primary need", False),
    *PROVIDER_HEADERS[1:],
)
# Which figure (reports.METRICS) a column's numbers link to.
COLUMN_FIGURE = {
    "pupils": "pupils",
    "committed_pence": "committed",
    "average_pence": "committed",
    "min_pence": "committed",
    "max_pence": "committed",
    "savings_pence": "savings",
    "deductions_pence": "deductions",
    "returns_below": "returns_below",
}
EXPORTS = ("providers", "needs")
# Column headings in a download, where there is room to say it all.
EXPORT_LABELS = {
    "committed_pence": "Committed annual spend",
    "average_pence": "Average annual cost per pupil",
    "min_pence": "Lowest annual cost per pupil",
    "max_pence": "Highest annual cost per pupil",
    "savings_pence": "Negotiation savings",
}


def _sort_param(value: str | None, columns: tuple[str, ...], default: str = "provider_name") -> str:
    value = value or default
    return value if value.lstrip("-") in columns else default


def _figure_links(*, provider_id: int | None, need: str | None) -> dict[str, str]:
    base = reverse("placements:contract-list")
    links = {}
    for column, figure in COLUMN_FIGURE.items():
        params: dict[str, Any] = {"figure": figure}
        if provider_id is not None:
            params["provider"] = provider_id
        if need:
            params["need"] = need
        links[column] = f"{base}?{urlencode(params)}"
    return links


def _headers(
    request: HttpRequest, spec: tuple[tuple[str, str, bool], ...], param: str, current: str, anchor: str
) -> list[dict[str, Any]]:
    """Table headers that sort: a link per column, ``aria-sort`` on the sorted one."""
    headers = []
    sorted_by, descending = current.lstrip("-"), current.startswith("-")
    for column, label, money in spec:
        params = request.GET.copy()
        for name in ("format", "export", "page"):
            params.pop(name, None)
        is_sorted = column == sorted_by
        params[param] = f"-{column}" if is_sorted and not descending else column
        headers.append(
            {
                "label": label,
                "url": f"?{params.urlencode()}#{anchor}",
                "aria_sort": ("descending" if descending else "ascending") if is_sorted else "none",
                "numeric": column not in ("provider_name", "primary_need"),
                "money": money,
            }
        )
    return headers


def _cells(row: dict[str, Any], spec: tuple[tuple[str, str, bool], ...], links: dict[str, str]) -> list[dict[str, Any]]:
    cells = []
    for column, label, money in spec:
        value = row.get(column)
        if column == "primary_need":
            text = NeedType(value).label if value in NeedType.values else (value or "")
        elif money:
            text = _money(value) if value is not None else "None"
        else:
            text = "" if value is None else f"{value:,}" if isinstance(value, int) else str(value)
        has_figure = column in COLUMN_FIGURE and value not in (None, 0)
        cells.append(
            {
                "text": text,
                "url": links.get(column) if has_figure else None,
                "hidden": f" – {label.lower()}, {row.get('provider_name', '')}",
                "numeric": column not in ("provider_name", "primary_need"),
            }
        )
    return cells


def _export_rows(rows: list[dict[str, Any]], spec: tuple[tuple[str, str, bool], ...]) -> list[list[Any]]:
    out: list[list[Any]] = [
        [f"{EXPORT_LABELS.get(column, label)} (£)" if money else label for column, label, money in spec]
    ]
    for row in rows:
        line: list[Any] = []
        for column, _, money in spec:
            value = row.get(column)
            if column == "primary_need":
                value = NeedType(value).label if value in NeedType.values else value
            elif money and value is not None:
                value = Decimal(value) / 100  # exact: pence to pounds and pence, no float
            line.append(value)
        out.append(line)
    return out


def _export_allowed(
    request: HttpRequest, export: str | None, fmt: str | None, *, tables: Any, object_type: str
) -> HttpResponse | None:
    """The door every placement report export goes through: the export capability, a table and
    format offered, a fresh sign-in and a purpose (``export_gate``), and the access-log row.
    None when the file may be sent; otherwise the response to send instead."""
    if not user_can(request.user, Capability.EXPORT):
        raise PermissionDenied
    if export not in tables or fmt not in EXPORT_FORMATS:
        message = {"message": "Choose a table and CSV or XLSX."}
        return render(request, "placements/bad_request.html", message, status=400)
    gate, _purpose = export_gate(request)  # a fresh sign-in and a purpose first (in the logged path)
    if gate is not None:
        return gate
    with transaction.atomic():
        # Aggregate figures name no child; the row records who took which table.
        access_log_record(
            user=request.user,
            child_id=None,
            object_type=object_type,
            object_id=None,
            action=AccessAction.EXPORT,
            path=request.get_full_path(),
        )
    return None


@requires(Capability.PLACEMENT_VIEW)
def purchasing_power(request: HttpRequest) -> HttpResponse:
    on = timezone.localdate()
    sort = _sort_param(request.GET.get("sort"), reports.PROVIDER_COLUMNS)
    need_sort = _sort_param(request.GET.get("need_sort"), reports.NEED_COLUMNS)
    rows = reports.purchasing_power(on=on, order_by=sort)
    need_rows = reports.purchasing_power_by_need(on=on, order_by=need_sort)

    export, fmt = request.GET.get("export"), request.GET.get("format")
    if export is not None or fmt is not None:
        refused = _export_allowed(request, export, fmt, tables=EXPORTS, object_type=f"placement_report:{export}")
        if refused is not None:
            return refused
        spec = PROVIDER_HEADERS if export == "providers" else NEED_HEADERS
        data = rows if export == "providers" else need_rows
        title = "Purchasing power by provider" if export == "providers" else "Purchasing power by need"
        return export_response(
            _export_rows(data, spec), stem=f"purchasing-power-{export}-{on:%Y-%m-%d}", fmt=fmt, sheet_title=title
        )

    provider_table = [
        {"cells": _cells(row, PROVIDER_HEADERS, _figure_links(provider_id=row["provider_id"], need=None)), "row": row}
        for row in rows
        if row["pupils"] or row["deductions_pence"] or row["returns_below"]
    ]
    need_table = [
        {"cells": _cells(row, NEED_HEADERS, _figure_links(provider_id=row["provider_id"], need=row["primary_need"]))}
        for row in need_rows
    ]
    figures = reports.placement_figures(on=on)
    params = request.GET.copy()
    exports = {}
    if user_can(request.user, Capability.EXPORT):
        for key in EXPORTS:
            for f in EXPORT_FORMATS:
                params["export"], params["format"] = key, f
                exports[f"{key}_{f}"] = f"?{params.urlencode()}"
    context = {
        "on": on,
        "figures": figures,
        "figure_links": _figure_links(provider_id=None, need=None),
        "provider_headers": _headers(request, PROVIDER_HEADERS, "sort", sort, "by-provider"),
        "provider_rows": provider_table,
        "need_headers": _headers(request, NEED_HEADERS, "need_sort", need_sort, "by-need"),
        "need_rows": need_table,
        "exports": exports,
        "providers_without_pupils": sum(
            1 for row in rows if not (row["pupils"] or row["deductions_pence"] or row["returns_below"])
        ),
        "can_manage": user_can(request.user, Capability.PLACEMENT_MANAGE),
    }
    return render(request, "placements/purchasing_power.html", context)


# --- Finance work queues -------------------------------------------------------------------------


def _queue_summary(user: Any, today: date) -> list[dict[str, Any]]:
    counts = queues.queue_counts(user, today)
    return [{"queue": q, "title": q.heading, "description": q.explanation, "count": counts[q]} for q in workflow.Queue]


@requires(Capability.PLACEMENT_VIEW)
def queue_list(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    context = {"summary": _queue_summary(request.user, today), "today": today}
    return render(request, "placements/queue_list.html", context)


@requires(Capability.PLACEMENT_VIEW)
def queue_detail(request: HttpRequest, queue: str) -> HttpResponse:
    try:
        chosen = workflow.Queue(queue)
    except ValueError as unknown:
        raise Http404("No such work queue") from unknown
    today = timezone.localdate()
    items = queues.queue_items(chosen, request.user, today)
    paginator = Paginator(items, PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    rows = list(page.object_list)
    with transaction.atomic():
        access_log_record_many(
            user=request.user,
            child_ids=list(dict.fromkeys(item.contract.child_id for item in rows)),
            object_type=f"placement_queue:{chosen.value}",
            path=request.path,
        )
    context = {
        "queue": chosen,
        "rows": rows,
        "page": page,
        "total": paginator.count,
        "pagination": pagination(page, ""),
        "can_manage": user_can(request.user, Capability.PLACEMENT_MANAGE),
        "by_provider": chosen is workflow.Queue.RETURNS_MISSING,
    }
    return render(request, "placements/queue_detail.html", context)


# --- Purchasing power over time ---------------------------------------------------------------------

YEAR_HEADERS: tuple[tuple[str, str, bool], ...] = (
    ("provider_name", "Provider", False),
    ("pupils", "Pupils", False),
    ("spend_pence", "Spend", True),
    ("share_percent", "Share of spend (%)", False),
    ("average_pence", "Average annual cost", True),
    ("negotiation_savings_pence", "Saved by negotiation", True),
    ("uplift_pence", "Cost of uplifts", True),
    ("deductions_pence", "Saved by deductions", True),
)
YEAR_TOTAL_HEADERS: tuple[tuple[str, str, bool], ...] = (
    ("label", "Financial year", False),
    ("pupils", "Pupils", False),
    ("spend_pence", "Spend", True),
    ("negotiation_savings_pence", "Saved by negotiation", True),
    ("uplift_pence", "Cost of uplifts", True),
    ("deductions_pence", "Saved by deductions", True),
)
YEAR_EXPORTS = ("providers", "years")


def _year_rows(rows: list[dict[str, Any]], spec: tuple[tuple[str, str, bool], ...]) -> list[list[Any]]:
    out: list[list[Any]] = [[f"{label} (£)" if money else label for _, label, money in spec]]
    for row in rows:
        out.append(
            [
                Decimal(row[column]) / 100 if money and row[column] is not None else row[column]
                for column, _, money in spec
            ]
        )
    return out


@requires(Capability.PLACEMENT_VIEW)
def purchasing_power_years(request: HttpRequest) -> HttpResponse:
    """Spend, pupils, average cost, share of spend and savings per provider in a financial year,
    and every year's totals (reports.purchasing_power_year / purchasing_power_years)."""
    today = timezone.localdate()
    current = workflow.financial_year_of(today)
    years = reports.purchasing_power_years(until=today)
    offered = [row["year"] for row in years] or [current]
    chosen = request.GET.get("year")
    if chosen is None:
        year = current
    elif chosen.isascii() and chosen.isdigit() and int(chosen) in offered:
        year = int(chosen)
    else:
        message = "Choose a financial year from the list."
        return render(request, "placements/bad_request.html", {"message": message}, status=400)
    rows = reports.purchasing_power_year(year=year, order_by="-spend_pence")
    label = workflow.financial_year_label(year)

    export, fmt = request.GET.get("export"), request.GET.get("format")
    if export is not None or fmt is not None:
        refused = _export_allowed(
            request, export, fmt, tables=YEAR_EXPORTS, object_type=f"placement_report:years_{export}"
        )
        if refused is not None:
            return refused
        if export == "providers":
            table, stem, title = _year_rows(rows, YEAR_HEADERS), f"purchasing-power-{label}", f"Providers {label}"
        else:
            table, stem, title = _year_rows(years, YEAR_TOTAL_HEADERS), "purchasing-power-by-year", "By year"
        return export_response(table, stem=stem, fmt=fmt, sheet_title=title)

    exports = {}
    if user_can(request.user, Capability.EXPORT):
        for key in YEAR_EXPORTS:
            for f in EXPORT_FORMATS:
                exports[f"{key}_{f}"] = f"?year={year}&export={key}&format={f}"
    context = {
        "year": year,
        "label": label,
        "bounds": workflow.financial_year_bounds(year),
        "choices": [(row["year"], row["label"]) for row in years]
        or [(current, workflow.financial_year_label(current))],
        "rows": rows,
        "years": years,
        "exports": exports,
        "can_manage": user_can(request.user, Capability.PLACEMENT_MANAGE),
    }
    return render(request, "placements/purchasing_power_years.html", context)


# --- Annual fee reviews (docs/domain.md §2.6) ---------------------------------------------------------


def _review_summary(review: FeeReview) -> list[tuple[str, str]]:
    lines = [line.facts() for line in review.lines.all()]
    _current, requested, agreed = workflow.review_totals(lines)
    ceiling = PanelDecision.objects.values_list("agreed_annual_ceiling_pence", flat=True).get(
        pk=review.contract.panel_decision_id
    )
    figures = workflow.review_figures(lines)[1]
    rows = [
        ("Annual cost in force when received", _money(review.current_annual_cost_pence)),
        ("Annual cost asked for", _money(review.requested_annual_cost_pence)),
        ("Asked for, line by line", _money(requested)),
        ("Agreed so far, line by line", _money(agreed)),
        ("Panel's ceiling", _money(ceiling)),
    ]
    if figures.saving_pence is not None and figures.uplift_pence is not None:
        rows += [
            ("Saved by negotiation (asked for minus agreed)", _money(figures.saving_pence)),
            ("Uplift (agreed minus the fee in force)", workflow.uplift_words(figures.uplift_pence)),
        ]
    return rows


class FeeReviewStartView(ContractActionView):
    action = Action.CHANGE_COST_LINES  # only the capability: PLACEMENT_MANAGE
    form_class = FeeReviewStartForm
    title = "Record an annual fee review request"
    intro = (
        "The provider's request for an uplift. Negotiate it line by line; an agreed figure above the panel's "
        "ceiling goes back to the panel, and the current fee stays in force until the panel approves."
    )
    submit_label = "Record the request"
    success_message = "Fee review recorded"

    review: FeeReview | None = None

    def not_allowed_now(self) -> str | None:
        if self.contract.status != ContractStatus.ACTIVE:
            return "Only an active placement can have an annual fee review."
        return None

    def initial(self) -> dict[str, Any]:
        return {"received_on": timezone.localdate(), "effective_from": self.contract.annual_review_on}

    def extra_context(self) -> dict[str, Any]:
        return {"summary": _totals_summary(self.contract)}

    def perform(self, form: Any) -> Any:
        self.review = fee_review_services.fee_review_start(
            actor=self.request.user, contract=self.contract, **form.cleaned_data
        )
        return self.review

    def success_url(self) -> str:
        if self.review is not None:
            return reverse("placements:fee-review-detail", args=[self.review.pk])
        return super().success_url()


@requires(Capability.PLACEMENT_VIEW)
def fee_review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    review = get_object_or_404(
        FeeReview.objects.visible_to(request.user).select_related(
            "contract__child", "contract__provider__establishment", "referral"
        ),
        pk=pk,
    )
    contract = review.contract
    with transaction.atomic():
        access_log_record(
            user=request.user,
            child_id=contract.child_id,
            object_type="fee_review",
            object_id=review.pk,
            path=request.path,
        )
    allowed = review.allowed_actions()
    manage = user_can(request.user, Capability.PLACEMENT_MANAGE)
    context = {
        "review": review,
        "contract": contract,
        "status": workflow.FeeReviewStatus(review.status).label,
        "lines": list(review.lines.order_by("pk")),
        "summary": _review_summary(review),
        "can_negotiate": manage and workflow.FeeReviewAction.RECORD_LINE in allowed,
        "can_agree": manage and workflow.FeeReviewAction.AGREE in allowed,
        "can_refuse": manage and workflow.FeeReviewAction.REFUSE in allowed,
        "can_withdraw": manage and workflow.FeeReviewAction.WITHDRAW in allowed,
    }
    return render(request, "placements/fee_review_detail.html", context)


class _FeeReviewActionView(ContractActionView):
    """An action on a fee review: PLACEMENT_MANAGE guards the page, the fee review table decides
    whether it can be taken now; success returns to the review."""

    action = Action.CHANGE_COST_LINES  # only the capability: PLACEMENT_MANAGE
    review_action: workflow.FeeReviewAction
    review: FeeReview

    def get_contract(self, **kwargs: Any) -> PlacementContract:
        self.review = get_object_or_404(FeeReview.objects.visible_to(self.request.user), pk=kwargs["pk"])
        return get_object_or_404(_contracts(self.request.user), pk=self.review.contract_id)

    def not_allowed_now(self) -> str | None:
        try:
            workflow.check_fee_review_transition(self.review.status, self.review_action)
        except workflow.TransitionError as exc:
            return exc.message
        return None

    def extra_context(self) -> dict[str, Any]:
        return {"summary": _review_summary(self.review)}

    def success_url(self) -> str:
        return reverse("placements:fee-review-detail", args=[self.review.pk])


class FeeReviewLineView(_FeeReviewActionView):
    review_action = workflow.FeeReviewAction.RECORD_LINE
    form_class = FeeReviewLineForm
    title = "Negotiate a cost line"
    submit_label = "Save the line"
    success_message = "Line saved"

    line: FeeReviewLine

    def get_contract(self, **kwargs: Any) -> PlacementContract:
        self.line = get_object_or_404(FeeReviewLine, pk=kwargs["pk"])
        return super().get_contract(pk=self.line.review_id)

    def initial(self) -> dict[str, Any]:
        return {
            "requested_amount_pence": self.line.requested_amount_pence,
            "agreed_amount_pence": self.line.agreed_amount_pence,
            "notes": self.line.notes,
        }

    def extra_context(self) -> dict[str, Any]:
        line = self.line
        return {
            "summary": [
                ("Cost", f"{line.get_category_display()} {line.description}".strip()),
                ("Charged", f"{workflow.PERIOD_LABELS[workflow.Period(line.period)]}, {line.periods_per_year} a year"),
                ("Current amount", _money(line.current_amount_pence)),
            ]
        }

    def perform(self, form: Any) -> Any:
        return fee_review_services.fee_review_record_line(actor=self.request.user, line=self.line, **form.cleaned_data)


class FeeReviewAgreeView(_FeeReviewActionView):
    review_action = workflow.FeeReviewAction.AGREE
    form_class = FeeReviewAgreeForm
    title = "Record the fee review as agreed"
    intro = (
        "Every line needs an agreed amount. Within the panel's ceiling the new fee takes effect from the date "
        "below; above it, the review goes back to the panel and the current fee stays in force until it approves."
    )
    submit_label = "Record as agreed"
    success_message = "Fee review agreed"

    def initial(self) -> dict[str, Any]:
        return {"outcome_on": timezone.localdate(), "effective_from": self.review.effective_from}

    def perform(self, form: Any) -> Any:
        return fee_review_services.fee_review_agree(actor=self.request.user, review=self.review, **form.cleaned_data)


class FeeReviewRefuseView(_FeeReviewActionView):
    review_action = workflow.FeeReviewAction.REFUSE
    form_class = FeeReviewCloseForm
    title = "Refuse the uplift"
    submit_label = "Refuse the uplift"
    success_message = "Fee review refused; the fee in force does not change"

    def initial(self) -> dict[str, Any]:
        return {"outcome_on": timezone.localdate()}

    def perform(self, form: Any) -> Any:
        return fee_review_services.fee_review_refuse(actor=self.request.user, review=self.review, **form.cleaned_data)


class FeeReviewWithdrawView(FeeReviewRefuseView):
    review_action = workflow.FeeReviewAction.WITHDRAW
    title = "Record that the provider withdrew its request"
    submit_label = "Record as withdrawn"
    success_message = "Fee review withdrawn; the fee in force does not change"

    def perform(self, form: Any) -> Any:
        return fee_review_services.fee_review_withdraw(actor=self.request.user, review=self.review, **form.cleaned_data)
