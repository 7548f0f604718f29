"""Independent placements: providers, Individual Placement Agreements (contracts), their cost
lines, negotiation, the attendance penalty clause, attendance returns and deductions.

Data and constraints only. Every change goes through ``placements.services``; statuses and the
money arithmetic come from ``placements.workflow`` (pure). The database enforces what must
never be wrong whatever door a row came through: valid codes, amounts in pence and never
negative, dates in order, one open contract per child and provider, one return per period (and,
on PostgreSQL, no two returns of a contract sharing a day: an exclusion constraint added by
migration 0002), a reason for ending a contract and for waiving a deduction.

Two rules span tables and so cannot be CHECK constraints (a CHECK sees one row; Django has no
portable trigger): a provider's establishment must be independent special, non-maintained
special or specialist post-16, and a contract's panel decision must be an approval for the
same child and the provider's establishment. ``placements.services`` checks both under the
contract's row lock.
"""

from __future__ import annotations

import enum
from datetime import date
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

from core.models import AppendOnlyModel, Establishment
from core.roles import Capability, user_can
from panels.models import PanelDecision
from placements import workflow
from requests_app.models import AssessmentRequest, Child


def _choices(enum_cls: type[enum.StrEnum], labels: dict[Any, str]) -> list[tuple[str, str]]:
    return [(member.value, labels[member]) for member in enum_cls]


def _in(field: str, enum_cls: type[enum.StrEnum], *, blank: bool = False) -> Q:
    values = [member.value for member in enum_cls]
    return Q(**{f"{field}__in": [*values, ""] if blank else values})


def _not_negative(*fields: str) -> Q:
    condition = Q()
    for name in fields:
        condition &= Q(**{f"{name}__isnull": True}) | Q(**{f"{name}__gte": 0})
    return condition


def _ordered(later: str, earlier: str) -> Q:
    """``later`` is on or after ``earlier`` whenever both are set."""
    return (
        Q(**{f"{later}__isnull": True}) | Q(**{f"{earlier}__isnull": True}) | Q(**{f"{later}__gte": models.F(earlier)})
    )


CONTRACT_STATUS_CHOICES = _choices(workflow.ContractStatus, workflow.CONTRACT_STATUS_LABELS)
ROUTE_CHOICES = _choices(workflow.ProcurementRoute, workflow.PROCUREMENT_ROUTE_LABELS)
CATEGORY_CHOICES = _choices(workflow.CostCategory, workflow.COST_CATEGORY_LABELS)
PERIOD_CHOICES = _choices(workflow.Period, workflow.PERIOD_LABELS)
PERIOD_KIND_CHOICES = _choices(workflow.PeriodKind, workflow.PERIOD_KIND_LABELS)
RULE_CHOICES = _choices(workflow.PenaltyRule, workflow.PENALTY_RULE_LABELS)
DEDUCTION_STATUS_CHOICES = _choices(workflow.DeductionStatus, workflow.DEDUCTION_STATUS_LABELS)
LEAVING_REASON_CHOICES = _choices(workflow.LeavingReason, workflow.LEAVING_REASON_LABELS)
REVIEW_OUTCOME_CHOICES = _choices(workflow.ReviewOutcome, workflow.REVIEW_OUTCOME_LABELS)
# Statuses in which the fees have been agreed: the placement is (or was) running.
PLACED = [workflow.ContractStatus.ACTIVE.value, workflow.ContractStatus.ENDED.value]


# --- Providers ---------------------------------------------------------------------------------


class ProviderQuerySet(models.QuerySet["Provider"]):
    def visible_to(self, user: Any) -> ProviderQuerySet:
        return self.all() if user_can(user, Capability.PLACEMENT_VIEW) else self.none()


class Provider(models.Model):
    """An independent or non-maintained special school (or specialist post-16 institution) the
    council buys places from, with how it was procured and its published fees."""

    # The establishment's type is checked by provider_upsert: a CHECK cannot look at another table.
    establishment = models.OneToOneField(Establishment, on_delete=models.PROTECT, related_name="provider")
    procurement_route = models.CharField(max_length=30, choices=ROUTE_CHOICES)
    framework_lot = models.CharField(max_length=100, blank=True)
    fee_bands = models.TextField("published fee bands", blank=True)
    fee_min_annual_pence = models.PositiveIntegerField("lowest published annual fee", null=True, blank=True)
    fee_max_annual_pence = models.PositiveIntegerField("highest published annual fee", null=True, blank=True)
    contact_name = models.CharField(max_length=200, blank=True)
    contact_email = models.EmailField(blank=True)
    contact_phone = models.CharField(max_length=30, blank=True)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProviderQuerySet.as_manager()

    class Meta:
        ordering = ["establishment__name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=_in("procurement_route", workflow.ProcurementRoute), name="provider_route_valid"
            ),
            models.CheckConstraint(
                condition=_not_negative("fee_min_annual_pence", "fee_max_annual_pence"),
                name="provider_fees_not_negative",
            ),
            models.CheckConstraint(
                condition=_ordered("fee_max_annual_pence", "fee_min_annual_pence"), name="provider_fee_band_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"Provider {self.pk} (establishment {self.establishment_id})"


# --- Contracts ---------------------------------------------------------------------------------


class PlacementContractQuerySet(models.QuerySet["PlacementContract"]):
    def visible_to(self, user: Any) -> PlacementContractQuerySet:
        # One council team: finance officers and managers see every placement.
        return self.all() if user_can(user, Capability.PLACEMENT_VIEW) else self.none()

    def in_status(self, *statuses: workflow.ContractStatus | str) -> PlacementContractQuerySet:
        return self.filter(status__in=[workflow.ContractStatus(s).value for s in statuses])

    def in_place_on(self, on: date) -> PlacementContractQuerySet:
        """Placements running on ``on``: fees agreed (active, or since ended), started on or
        before ``on``, and not finished before it (the actual end for an ended contract, the
        planned end otherwise; no planned end means open-ended)."""
        return self.filter(status__in=PLACED, start_on__lte=on).filter(
            Q(status=workflow.ContractStatus.ENDED.value, ended_on__gte=on)
            | Q(status=workflow.ContractStatus.ACTIVE.value, end_on__isnull=True)
            | Q(status=workflow.ContractStatus.ACTIVE.value, end_on__gte=on)
        )

    def with_related(self) -> PlacementContractQuerySet:
        return self.select_related("child", "provider__establishment", "panel_decision")


class PlacementContract(models.Model):
    """An Individual Placement Agreement: one child's place at one provider under the national
    contract, following a panel approval whose agreed annual cost ceiling it must stay within."""

    reference = models.CharField(max_length=20, blank=True, help_text="IPA-nnnnnn, set when created")
    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="placement_contracts")
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="contracts")
    panel_decision = models.ForeignKey(PanelDecision, on_delete=models.PROTECT, related_name="placement_contracts")
    status = models.CharField(
        max_length=20, choices=CONTRACT_STATUS_CHOICES, default=workflow.ContractStatus.DRAFT.value
    )
    status_reason = models.TextField(blank=True, help_text="Why the placement ended")
    start_on = models.DateField()
    end_on = models.DateField(null=True, blank=True, help_text="The planned end; empty if open-ended")
    ended_on = models.DateField(null=True, blank=True, help_text="The day the placement actually ended")
    annual_review_on = models.DateField(help_text="The annual review of fees")
    # Ending (placements.services.reviews): the notice the contract requires, when notice was
    # given, why the child left, and why it ended sooner than the notice allows (if it did).
    notice_period_days = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="The notice either side must give to end the placement, in days"
    )
    notice_given_on = models.DateField(null=True, blank=True)
    leaving_reason = models.CharField(max_length=30, choices=LEAVING_REASON_CHOICES, blank=True)
    early_end_reason = models.TextField(
        blank=True, help_text="Why the placement ends sooner than the notice period allows"
    )
    # Derived from the cost lines (sum of annualised amounts) and stored for reporting;
    # recomputed by every service that changes a line.
    quoted_annual_cost_pence = models.PositiveIntegerField(default=0)
    agreed_annual_cost_pence = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PlacementContractQuerySet.as_manager()

    class Meta:
        ordering = ["-start_on", "-pk"]
        indexes = [
            # Reports: placements running on a date, by provider.
            models.Index(fields=["provider", "status", "start_on"], name="placement_provider_status"),
            models.Index(fields=["status", "start_on"], name="placement_status_start"),
            # The fee reviews coming up.
            models.Index(fields=["annual_review_on"], name="placement_annual_review"),
        ]
        constraints = [
            models.CheckConstraint(condition=_in("status", workflow.ContractStatus), name="placement_status_valid"),
            # One open agreement per child and provider; a new one may follow an ended one.
            models.UniqueConstraint(
                fields=["child", "provider"],
                condition=~Q(status=workflow.ContractStatus.ENDED.value),
                name="one_open_contract_per_child_provider",
            ),
            models.UniqueConstraint(
                fields=["reference"], condition=~Q(reference=""), name="placement_reference_unique"
            ),
            models.CheckConstraint(condition=_ordered("end_on", "start_on"), name="placement_end_after_start"),
            models.CheckConstraint(condition=_ordered("ended_on", "start_on"), name="placement_ended_after_start"),
            models.CheckConstraint(
                condition=Q(annual_review_on__gte=models.F("start_on")), name="placement_review_after_start"
            ),
            # An ended contract says when and why; nothing else has an end date or reason.
            models.CheckConstraint(
                condition=(
                    Q(status=workflow.ContractStatus.ENDED.value) & Q(ended_on__isnull=False) & ~Q(status_reason="")
                )
                | (~Q(status=workflow.ContractStatus.ENDED.value) & Q(ended_on__isnull=True)),
                name="placement_ended_has_reason_and_date",
            ),
            models.CheckConstraint(
                condition=Q(quoted_annual_cost_pence__gte=0, agreed_annual_cost_pence__gte=0),
                name="placement_costs_not_negative",
            ),
            models.CheckConstraint(
                condition=_in("leaving_reason", workflow.LeavingReason, blank=True),
                name="placement_leaving_reason_valid",
            ),
            # Only an ended placement has a leaving reason, and an ended one always has one.
            models.CheckConstraint(
                condition=Q(status=workflow.ContractStatus.ENDED.value, leaving_reason__gt="")
                | (~Q(status=workflow.ContractStatus.ENDED.value) & Q(leaving_reason="")),
                name="placement_ended_has_leaving_reason",
            ),
            models.CheckConstraint(
                condition=Q(notice_period_days__isnull=True) | Q(notice_period_days__lte=workflow.MAX_NOTICE_DAYS),
                name="placement_notice_period_within_year",
            ),
            models.CheckConstraint(
                condition=_ordered("notice_given_on", "start_on"), name="placement_notice_after_start"
            ),
        ]

    def __str__(self) -> str:
        return self.reference or f"Contract {self.pk}"

    @property
    def saving_pence(self) -> int | None:
        """Quoted minus agreed annual cost once the fees are agreed (negative if more was agreed);
        ``None`` while the contract is a draft or negotiating."""
        return workflow.saving(self.status, self.quoted_annual_cost_pence, self.agreed_annual_cost_pence)

    def allowed_actions(self) -> list[workflow.Action]:
        return workflow.allowed_actions(self.status)


class CostLine(models.Model):
    """One element of the fee (tuition, residential, a therapy…), quoted by the provider and, once
    negotiated, agreed; charged per period and annualised with the stored number of periods."""

    contract = models.ForeignKey(PlacementContract, on_delete=models.CASCADE, related_name="cost_lines")
    category = models.CharField(max_length=30, choices=CATEGORY_CHOICES)
    description = models.CharField(max_length=200, blank=True)
    quoted_amount_pence = models.PositiveIntegerField()
    agreed_amount_pence = models.PositiveIntegerField(null=True, blank=True, help_text="Empty until agreed")
    period = models.CharField(max_length=10, choices=PERIOD_CHOICES)
    periods_per_year = models.PositiveSmallIntegerField(help_text="The number used to annualise, stored")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["contract", "pk"]
        indexes = [models.Index(fields=["category"], name="cost_line_category")]
        constraints = [
            models.CheckConstraint(condition=_in("category", workflow.CostCategory), name="cost_line_category_valid"),
            models.CheckConstraint(condition=_in("period", workflow.Period), name="cost_line_period_valid"),
            models.CheckConstraint(
                condition=Q(quoted_amount_pence__gte=0) & _not_negative("agreed_amount_pence"),
                name="cost_line_amounts_not_negative",
            ),
            models.CheckConstraint(condition=Q(periods_per_year__gt=0), name="cost_line_periods_positive"),
            models.CheckConstraint(
                condition=Q(
                    *[
                        ~Q(period=period.value) | Q(periods_per_year__lte=most)
                        for period, most in workflow.MAX_PERIODS_PER_YEAR.items()
                    ]
                ),
                name="cost_line_periods_within_year",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()} (contract {self.contract_id})"

    @property
    def quoted_annual_pence(self) -> int:
        return workflow.annualise(self.quoted_amount_pence, self.period, self.periods_per_year)

    @property
    def agreed_annual_pence(self) -> int | None:
        if self.agreed_amount_pence is None:
            return None
        return workflow.annualise(self.agreed_amount_pence, self.period, self.periods_per_year)

    def facts(self) -> workflow.LineFacts:
        return workflow.LineFacts(
            quoted_annual_pence=self.quoted_annual_pence, agreed_annual_pence=self.agreed_annual_pence
        )


class NegotiationRound(models.Model):
    """One exchange in the fee negotiation (annual amounts). Changed only by a correction with a
    reason (``negotiation_round_correct``), whose event keeps the figures before and after."""

    contract = models.ForeignKey(PlacementContract, on_delete=models.CASCADE, related_name="negotiation_rounds")
    round_no = models.PositiveSmallIntegerField()
    on = models.DateField()
    provider_offer_pence = models.PositiveIntegerField(help_text="The provider's annual offer")
    council_counter_offer_pence = models.PositiveIntegerField(
        null=True, blank=True, help_text="The council's annual counter-offer; empty if none was made"
    )
    notes = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveSmallIntegerField(default=1, help_text="1, then one more for each correction")

    class Meta:
        # In the order the rounds happened (``round_no`` is the order they were entered in).
        ordering = ["contract", "on", "round_no"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "round_no"], name="negotiation_round_unique"),
            models.CheckConstraint(condition=Q(round_no__gte=1), name="negotiation_round_from_one"),
            models.CheckConstraint(
                condition=Q(provider_offer_pence__gte=0) & _not_negative("council_counter_offer_pence"),
                name="negotiation_amounts_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"Round {self.round_no} (contract {self.contract_id})"


class PenaltyClause(models.Model):
    """The IPA's attendance clause: below the threshold, part of the period's fee is withheld."""

    contract = models.OneToOneField(PlacementContract, on_delete=models.CASCADE, related_name="penalty_clause")
    threshold_percent = models.DecimalField(max_digits=5, decimal_places=2)
    rule = models.CharField(max_length=30, choices=RULE_CHOICES)
    deduction_percent = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    per_session_pence = models.PositiveIntegerField(null=True, blank=True)
    authorised_counts_as_attended = models.BooleanField(
        "authorised absences count as attended", default=True, help_text="The grace rule for authorised absence"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(threshold_percent__gt=0, threshold_percent__lte=100), name="penalty_threshold_in_range"
            ),
            models.CheckConstraint(condition=_in("rule", workflow.PenaltyRule), name="penalty_rule_valid"),
            # Each rule has exactly its own parameter (an unknown rule is penalty_rule_valid's).
            models.CheckConstraint(
                condition=(
                    ~Q(rule=workflow.PenaltyRule.PERCENT_OF_PERIOD_FEE.value)
                    | Q(deduction_percent__gt=0, deduction_percent__lte=100, per_session_pence__isnull=True)
                )
                & (
                    ~Q(rule=workflow.PenaltyRule.PER_SESSION_MISSED.value)
                    | Q(per_session_pence__gte=0, deduction_percent__isnull=True)
                ),
                name="penalty_rule_parameters",
            ),
        ]

    def __str__(self) -> str:
        return f"Penalty clause (contract {self.contract_id})"

    def facts(self) -> workflow.ClauseFacts:
        return workflow.ClauseFacts(
            threshold_percent=self.threshold_percent,
            rule=self.rule,
            deduction_percent=self.deduction_percent,
            per_session_pence=self.per_session_pence,
            authorised_counts_as_attended=self.authorised_counts_as_attended,
        )


class AttendanceReturn(models.Model):
    """The provider's attendance figures for one term or month. A corrected return for the same
    period replaces the figures (``version`` goes up) rather than adding a row."""

    contract = models.ForeignKey(PlacementContract, on_delete=models.PROTECT, related_name="attendance_returns")
    period_kind = models.CharField(max_length=10, choices=PERIOD_KIND_CHOICES)
    period_start = models.DateField()
    period_end = models.DateField()
    sessions_possible = models.PositiveIntegerField()
    sessions_attended = models.PositiveIntegerField()
    authorised_absence = models.PositiveIntegerField()
    unauthorised_absence = models.PositiveIntegerField()
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["contract", "period_start", "pk"]
        indexes = [models.Index(fields=["period_end"], name="attendance_return_period_end")]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "period_start", "period_end"], name="one_attendance_return_per_period"
            ),
            models.CheckConstraint(
                condition=_in("period_kind", workflow.PeriodKind), name="attendance_period_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")), name="attendance_period_ordered"
            ),
            models.CheckConstraint(
                condition=Q(
                    sessions_possible__gte=0,
                    sessions_attended__gte=0,
                    authorised_absence__gte=0,
                    unauthorised_absence__gte=0,
                ),
                name="attendance_sessions_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(
                    sessions_possible__gte=models.F("sessions_attended")
                    + models.F("authorised_absence")
                    + models.F("unauthorised_absence")
                ),
                name="attendance_sessions_within_possible",
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="attendance_version_from_one"),
        ]

    def __str__(self) -> str:
        return f"Attendance return {self.pk} (contract {self.contract_id}, v{self.version})"

    def facts(self) -> workflow.ReturnFacts:
        return workflow.ReturnFacts(
            period_kind=self.period_kind,
            sessions_possible=self.sessions_possible,
            sessions_attended=self.sessions_attended,
            authorised_absence=self.authorised_absence,
            unauthorised_absence=self.unauthorised_absence,
        )


class Deduction(models.Model):
    """The money the penalty clause withholds for a return below the threshold, with the
    working. Exists only while the return is below the threshold; recomputed on correction."""

    attendance_return = models.OneToOneField(AttendanceReturn, on_delete=models.CASCADE, related_name="deduction")
    amount_pence = models.PositiveIntegerField()
    period_fee_pence = models.PositiveIntegerField(help_text="The period's fee the deduction was computed from")
    working = models.JSONField(default=list, help_text="The calculation, one line a step")
    status = models.CharField(
        max_length=10, choices=DEDUCTION_STATUS_CHOICES, default=workflow.DeductionStatus.PENDING.value
    )
    waived_reason = models.TextField(blank=True)
    computed_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["attendance_return", "pk"]
        indexes = [models.Index(fields=["status"], name="deduction_status")]
        constraints = [
            models.CheckConstraint(condition=_in("status", workflow.DeductionStatus), name="deduction_status_valid"),
            models.CheckConstraint(
                condition=Q(amount_pence__gte=0, period_fee_pence__gte=0), name="deduction_amounts_not_negative"
            ),
            models.CheckConstraint(
                condition=~Q(status=workflow.DeductionStatus.WAIVED.value) | ~Q(waived_reason=""),
                name="deduction_waiver_has_reason",
            ),
            # A pending deduction is undecided; a decided one records who and when.
            models.CheckConstraint(
                condition=Q(
                    status=workflow.DeductionStatus.PENDING.value, decided_by__isnull=True, decided_at__isnull=True
                )
                | (
                    ~Q(status=workflow.DeductionStatus.PENDING.value)
                    & Q(decided_by__isnull=False, decided_at__isnull=False)
                ),
                name="deduction_decision_recorded",
            ),
        ]

    def __str__(self) -> str:
        return f"Deduction {self.pk} ({self.get_status_display()})"


# --- Events --------------------------------------------------------------------------------------


class PlacementEventAction(models.TextChoices):
    PROVIDER_CREATED = "provider_created", "Provider added"
    PROVIDER_UPDATED = "provider_updated", "Provider updated"
    CONTRACT_CREATED = "contract_created", "Contract drafted"
    START_NEGOTIATION = workflow.Action.START_NEGOTIATION.value, workflow.Action.START_NEGOTIATION.label
    AGREE = workflow.Action.AGREE.value, workflow.Action.AGREE.label
    END = workflow.Action.END.value, workflow.Action.END.label
    REOPEN_NEGOTIATION = workflow.Action.REOPEN_NEGOTIATION.value, workflow.Action.REOPEN_NEGOTIATION.label
    COST_LINE_ADDED = "cost_line_added", "Cost line added"
    COST_LINE_UPDATED = "cost_line_updated", "Cost line updated"
    ROUND_RECORDED = "round_recorded", "Negotiation round recorded"
    ROUND_CORRECTED = "round_corrected", "Negotiation round corrected"
    PENALTY_CLAUSE_SET = "penalty_clause_set", "Attendance penalty clause set"
    RETURN_SUBMITTED = "return_submitted", "Attendance return submitted"
    RETURN_CORRECTED = "return_corrected", "Corrected attendance return submitted"
    DEDUCTION_RESET = "deduction_reset", "Decided deduction recomputed and reset to pending"
    DEDUCTION_CONFIRMED = "deduction_confirmed", "Deduction confirmed"
    DEDUCTION_WAIVED = "deduction_waived", "Deduction waived"
    # Documents on the contract (core/documents.py)
    DOCUMENT_UPLOADED = "document_uploaded", "Document added"
    DOCUMENT_QUARANTINED = "document_quarantined", "Document quarantined: a virus was found"
    # Placement reviews, notice and chasing returns (placements/services/reviews.py)
    REVIEW_SCHEDULED = "review_scheduled", "Placement review scheduled"
    REVIEW_UPDATED = "review_updated", "Placement review changed"
    REVIEW_RECORDED = "review_recorded", "Placement review outcome recorded"
    NOTICE_GIVEN = "notice_given", "Notice to end the placement recorded"
    RETURNS_CHASED = "returns_chased", "Provider chased for missing attendance returns"
    # Contract versions and annual fee reviews
    VERSION_ADDED = "version_added", "New fee version in force"
    FEE_REVIEW_STARTED = "fee_review_started", "Annual fee review received"
    FEE_REVIEW_LINE = "fee_review_line", "Fee review line negotiated"
    FEE_REVIEW_AGREED = "fee_review_agreed", "Fee review agreed"
    FEE_REVIEW_REFERRED = "fee_review_referred", "Fee review referred to the panel"
    FEE_REVIEW_REFUSED = "fee_review_refused", "Fee review refused"
    FEE_REVIEW_WITHDRAWN = "fee_review_withdrawn", "Fee review withdrawn"
    FEE_REVIEW_RETURNED = "fee_review_returned", "Fee review returned to negotiation by the panel"


class PlacementEvent(AppendOnlyModel):
    """Append-only: one row per change, written in the change's transaction. The audit trail and
    the contract's timeline. ``payload`` holds ids, codes and amounts, never a child's details."""

    contract = models.ForeignKey(
        PlacementContract, on_delete=models.CASCADE, null=True, blank=True, related_name="events"
    )
    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, null=True, blank=True, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=30, choices=PlacementEventAction.choices)
    from_status = models.CharField(max_length=20, choices=CONTRACT_STATUS_CHOICES, blank=True)
    to_status = models.CharField(max_length=20, choices=CONTRACT_STATUS_CHOICES, blank=True)
    occurred_at = models.DateTimeField(default=timezone.now)
    payload = models.JSONField(default=dict, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["occurred_at", "pk"]
        indexes = [models.Index(fields=["contract", "occurred_at"], name="placement_event_contract")]
        constraints = [
            models.CheckConstraint(
                condition=Q(action__in=PlacementEventAction.values), name="placement_event_action_valid"
            ),
            models.CheckConstraint(
                condition=_in("from_status", workflow.ContractStatus, blank=True)
                & _in("to_status", workflow.ContractStatus, blank=True),
                name="placement_event_statuses_valid",
            ),
            models.CheckConstraint(
                condition=Q(contract__isnull=False) | Q(provider__isnull=False), name="placement_event_has_subject"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.action} at {self.occurred_at:%Y-%m-%d %H:%M}"


# --- Placement reviews and chasing returns -------------------------------------------------------


class PlacementReviewQuerySet(models.QuerySet["PlacementReview"]):
    def visible_to(self, user: Any) -> PlacementReviewQuerySet:
        """Finance and managers see every review; an SEN officer (who records reviews but sees no
        contracts) the reviews of the children whose case is theirs (:meth:`of_officers_cases`)."""
        if user_can(user, Capability.PLACEMENT_VIEW):
            return self.all()
        if user_can(user, Capability.PLACEMENT_REVIEW_RECORD):
            return self.of_officers_cases(user)
        return self.none()

    def of_officers_cases(self, user: Any) -> PlacementReviewQuerySet:
        """The reviews of children whose case ``user`` is responsible for: the officer assigned to
        the child's latest request (docs/architecture.md §1). A case passed to another officer
        goes with its reviews."""
        latest = (
            AssessmentRequest.objects.filter(child_id=OuterRef("contract__child_id"))
            .order_by("-received_on", "-pk")
            .values("assigned_officer_id")[:1]
        )
        return self.alias(case_officer_id=Subquery(latest)).filter(case_officer_id=user.pk)

    def open(self) -> PlacementReviewQuerySet:
        return self.filter(outcome="")


class PlacementReview(models.Model):
    """One review of a running placement against the panel's conditions: when it is due, what
    the panel expected (attendance, outcomes for the child), and once held its outcome and the
    evidence for it. A contract has at most one open review; recording an outcome other than
    "end" schedules the next one (placements.services.reviews)."""

    contract = models.ForeignKey(PlacementContract, on_delete=models.CASCADE, related_name="reviews")
    due_on = models.DateField()
    expected_attendance_percent = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    expected_outcomes = models.TextField(blank=True, help_text="What the panel expects the placement to achieve")
    from_panel_conditions = models.BooleanField(
        default=False, help_text="Set from the panel decision's conditions when the contract was drafted"
    )
    outcome = models.CharField(max_length=10, choices=REVIEW_OUTCOME_CHOICES, blank=True)
    held_on = models.DateField(null=True, blank=True)
    evidence = models.TextField(blank=True, help_text="What the review considered: attendance, progress, reports")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PlacementReviewQuerySet.as_manager()

    class Meta:
        ordering = ["contract", "due_on", "pk"]
        indexes = [models.Index(fields=["outcome", "due_on"], name="placement_review_open_due")]
        constraints = [
            models.CheckConstraint(
                condition=_in("outcome", workflow.ReviewOutcome, blank=True), name="placement_review_outcome_valid"
            ),
            models.CheckConstraint(
                condition=Q(expected_attendance_percent__isnull=True)
                | Q(expected_attendance_percent__gt=0, expected_attendance_percent__lte=100),
                name="placement_review_attendance_in_range",
            ),
            # An open review has no outcome yet; a held one records when, who, and the evidence.
            models.CheckConstraint(
                condition=Q(outcome="", held_on__isnull=True, recorded_by__isnull=True, recorded_at__isnull=True)
                | (
                    ~Q(outcome="")
                    & Q(held_on__isnull=False, recorded_by__isnull=False, recorded_at__isnull=False)
                    & ~Q(evidence="")
                ),
                name="placement_review_outcome_recorded",
            ),
            models.UniqueConstraint(fields=["contract"], condition=Q(outcome=""), name="one_open_review_per_contract"),
        ]

    def __str__(self) -> str:
        return f"Placement review {self.pk} (contract {self.contract_id})"

    def state(self, today: date) -> workflow.ReviewState:
        return workflow.review_state(self.due_on, today, outcome=self.outcome)


class ReturnChase(models.Model):
    """A record that the council chased a provider for the attendance returns it has not sent for
    a closed period (the returns-missing queue, by provider)."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="return_chases")
    period_start = models.DateField()
    period_end = models.DateField()
    chased_on = models.DateField()
    note = models.TextField(blank=True)
    chased_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["provider", "-chased_on", "-pk"]
        indexes = [models.Index(fields=["period_start", "period_end"], name="return_chase_period")]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")), name="return_chase_period_ordered"
            ),
            # A period is chased once it has closed.
            models.CheckConstraint(condition=Q(chased_on__gt=models.F("period_end")), name="return_chase_after_period"),
        ]

    def __str__(self) -> str:
        return f"Returns chased (provider {self.provider_id}, {self.chased_on})"


# --- Contract versions and annual fee reviews (docs/domain.md §2.6) ---------------------------------

FEE_REVIEW_STATUS_CHOICES = _choices(workflow.FeeReviewStatus, workflow.FEE_REVIEW_STATUS_LABELS)
OPEN_FEE_REVIEW = sorted(s.value for s in workflow.OPEN_FEE_REVIEW_STATUSES)


class ContractVersionQuerySet(models.QuerySet["ContractVersion"]):
    def visible_to(self, user: Any) -> ContractVersionQuerySet:
        return self.all() if user_can(user, Capability.PLACEMENT_VIEW) else self.none()

    def in_force_on(self, day: date) -> ContractVersionQuerySet:
        """Versions in force on ``day``, one per contract at most (the latest started by then)."""
        later = ContractVersion.objects.filter(
            contract=models.OuterRef("contract"),
            effective_from__gt=models.OuterRef("effective_from"),
            effective_from__lte=day,
        )
        return self.filter(effective_from__lte=day).exclude(models.Exists(later))


class ContractVersion(models.Model):
    """The contract's fees from one date: version 1 is the original agreement, from the start of
    the placement; each agreed annual fee review adds the next (as does a variation of an active
    contract's lines, from the day it is made). In force from ``effective_from``
    until the next version's date (``workflow.version_in_force``). Written only by
    ``placements.services.versions``; never changed once a later version exists."""

    contract = models.ForeignKey(PlacementContract, on_delete=models.CASCADE, related_name="versions")
    version_no = models.PositiveSmallIntegerField()
    effective_from = models.DateField()
    annual_cost_pence = models.PositiveIntegerField(help_text="The agreed annual cost in force from the date")
    requested_annual_cost_pence = models.PositiveIntegerField(
        help_text="What the provider asked for (the quote, or the uplift requested)"
    )
    lines = models.JSONField(default=list, help_text="The agreed cost lines, as they stood")
    panel_decision = models.ForeignKey(
        PanelDecision, on_delete=models.PROTECT, related_name="contract_versions", help_text="The approval covering it"
    )
    fee_review = models.OneToOneField(
        "FeeReview", on_delete=models.PROTECT, null=True, blank=True, related_name="version"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ContractVersionQuerySet.as_manager()

    class Meta:
        ordering = ["contract", "version_no"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "version_no"], name="contract_version_unique"),
            # One version per day: the periods between versions cannot overlap.
            models.UniqueConstraint(fields=["contract", "effective_from"], name="contract_version_date_unique"),
            models.CheckConstraint(condition=Q(version_no__gte=1), name="contract_version_from_one"),
            models.CheckConstraint(
                condition=Q(annual_cost_pence__gte=0, requested_annual_cost_pence__gte=0),
                name="contract_version_amounts_not_negative",
            ),
            # The original agreement is version 1; it comes from no fee review.
            models.CheckConstraint(
                condition=~Q(version_no=1) | Q(fee_review__isnull=True), name="contract_version_original"
            ),
        ]

    def __str__(self) -> str:
        return f"Version {self.version_no} (contract {self.contract_id}, from {self.effective_from})"

    def facts(self) -> workflow.VersionFacts:
        return workflow.VersionFacts(
            version_no=self.version_no, effective_from=self.effective_from, annual_cost_pence=self.annual_cost_pence
        )


class FeeReviewQuerySet(models.QuerySet["FeeReview"]):
    def visible_to(self, user: Any) -> FeeReviewQuerySet:
        return self.all() if user_can(user, Capability.PLACEMENT_VIEW) else self.none()

    def open(self) -> FeeReviewQuerySet:
        return self.filter(status__in=OPEN_FEE_REVIEW)


class FeeReview(models.Model):
    """A provider's request for an uplift (the annual review of fees), negotiated line by line.
    Agreed within the panel's ceiling, it adds a contract version; above it, it goes back to the
    panel (``referral``) and the old fee stays in force until the panel approves."""

    contract = models.ForeignKey(PlacementContract, on_delete=models.PROTECT, related_name="fee_reviews")
    status = models.CharField(
        max_length=20, choices=FEE_REVIEW_STATUS_CHOICES, default=workflow.FeeReviewStatus.RECEIVED.value
    )
    received_on = models.DateField(help_text="The day the provider's request arrived")
    effective_from = models.DateField(help_text="The day the new fee is to take effect")
    requested_annual_cost_pence = models.PositiveIntegerField(help_text="The annual cost the provider asks for")
    current_annual_cost_pence = models.PositiveIntegerField(help_text="The annual cost in force when it arrived")
    reasons = models.TextField(help_text="The provider's reasons for the uplift")
    agreed_annual_cost_pence = models.PositiveIntegerField(null=True, blank=True, help_text="Set when agreed")
    ceiling_pence = models.PositiveIntegerField(
        null=True, blank=True, help_text="The panel's ceiling the agreed figure was measured against"
    )
    referral = models.OneToOneField(
        "panels.Referral", on_delete=models.PROTECT, null=True, blank=True, related_name="fee_review"
    )
    outcome_on = models.DateField(null=True, blank=True)
    outcome_reason = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = FeeReviewQuerySet.as_manager()

    class Meta:
        ordering = ["-received_on", "-pk"]
        indexes = [models.Index(fields=["status", "received_on"], name="fee_review_status_received")]
        constraints = [
            models.CheckConstraint(condition=_in("status", workflow.FeeReviewStatus), name="fee_review_status_valid"),
            # One open review per contract at a time.
            models.UniqueConstraint(
                fields=["contract"], condition=Q(status__in=OPEN_FEE_REVIEW), name="one_open_fee_review_per_contract"
            ),
            models.CheckConstraint(
                condition=Q(requested_annual_cost_pence__gte=0, current_annual_cost_pence__gte=0)
                & _not_negative("agreed_annual_cost_pence", "ceiling_pence"),
                name="fee_review_amounts_not_negative",
            ),
            # Waiting for the panel means a referral exists; agreed means a figure was agreed.
            models.CheckConstraint(
                condition=~Q(status=workflow.FeeReviewStatus.AWAITING_PANEL.value) | Q(referral__isnull=False),
                name="fee_review_awaiting_panel_has_referral",
            ),
            models.CheckConstraint(
                condition=~Q(status=workflow.FeeReviewStatus.AGREED.value)
                | Q(agreed_annual_cost_pence__isnull=False, outcome_on__isnull=False),
                name="fee_review_agreed_has_figure",
            ),
            models.CheckConstraint(
                condition=~Q(
                    status__in=[workflow.FeeReviewStatus.REFUSED.value, workflow.FeeReviewStatus.WITHDRAWN.value]
                )
                | (~Q(outcome_reason="") & Q(outcome_on__isnull=False)),
                name="fee_review_closed_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"Fee review {self.pk} (contract {self.contract_id})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_FEE_REVIEW

    def allowed_actions(self) -> list[workflow.FeeReviewAction]:
        return workflow.fee_review_allowed_actions(self.status)

    def figures(self) -> workflow.PriceFigures:
        """The review's annual totals from its lines: in force before, asked and agreed (once
        every line is), so the saving (asked − agreed) and the uplift (agreed − before)."""
        return workflow.review_figures([line.facts() for line in self.lines.all()])[1]


class FeeReviewLine(models.Model):
    """One cost line in a fee review: what is charged now, what the provider asks and what the
    council agrees, per the line's period."""

    review = models.ForeignKey(FeeReview, on_delete=models.CASCADE, related_name="lines")
    cost_line = models.ForeignKey(CostLine, on_delete=models.PROTECT, related_name="review_lines")
    category = models.CharField(max_length=30, choices=CATEGORY_CHOICES)
    description = models.CharField(max_length=200, blank=True)
    period = models.CharField(max_length=10, choices=PERIOD_CHOICES)
    periods_per_year = models.PositiveSmallIntegerField()
    current_amount_pence = models.PositiveIntegerField()
    requested_amount_pence = models.PositiveIntegerField()
    agreed_amount_pence = models.PositiveIntegerField(null=True, blank=True, help_text="Empty until agreed")
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["review", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["review", "cost_line"], name="fee_review_line_unique"),
            models.CheckConstraint(condition=_in("period", workflow.Period), name="fee_review_line_period_valid"),
            models.CheckConstraint(
                condition=Q(current_amount_pence__gte=0, requested_amount_pence__gte=0)
                & _not_negative("agreed_amount_pence"),
                name="fee_review_line_amounts_not_negative",
            ),
            models.CheckConstraint(condition=Q(periods_per_year__gt=0), name="fee_review_line_periods_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()} (fee review {self.review_id})"

    def facts(self) -> workflow.ReviewLineFacts:
        return workflow.ReviewLineFacts(
            period=self.period,
            periods_per_year=self.periods_per_year,
            current_amount_pence=self.current_amount_pence,
            requested_amount_pence=self.requested_amount_pence,
            agreed_amount_pence=self.agreed_amount_pence,
        )

    @property
    def figures(self) -> workflow.PriceFigures:
        """The line's annual figures: in force before, asked, agreed, saving and uplift."""
        return workflow.review_figures([self.facts()])[0][0]

    @property
    def current_annual_pence(self) -> int:
        return workflow.annualise(self.current_amount_pence, self.period, self.periods_per_year)

    @property
    def requested_annual_pence(self) -> int:
        return workflow.annualise(self.requested_amount_pence, self.period, self.periods_per_year)

    @property
    def agreed_annual_pence(self) -> int | None:
        if self.agreed_amount_pence is None:
            return None
        return workflow.annualise(self.agreed_amount_pence, self.period, self.periods_per_year)
