"""The central placement panel: members, referrals, meetings, agendas, declarations,
attendance, decisions and minutes.

Data and constraints only. Every change goes through ``panels.services``; statuses, outcomes
and the rules come from ``panels.workflow`` (pure). The database enforces what must never be
wrong whatever door a row came through: valid codes, one decision per agenda item, a decision
only at a held meeting, amounts not negative, a head teacher's school, a deferral's meeting and
an approval's cost ceiling.
"""

from __future__ import annotations

import enum
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.models import AppendOnlyModel, Establishment
from core.roles import Capability, Role, user_can, user_has_role
from panels import workflow
from requests_app.models import AssessmentRequest


def _choices(enum_cls: type[enum.StrEnum], labels: dict[Any, str]) -> list[tuple[str, str]]:
    return [(member.value, labels[member]) for member in enum_cls]


def _in(field: str, enum_cls: type[enum.StrEnum], *, blank: bool = False) -> Q:
    values = [member.value for member in enum_cls]
    return Q(**{f"{field}__in": [*values, ""] if blank else values})


def _not_negative(field: str) -> Q:
    return Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__gte": 0})


MEETING_STATUS_CHOICES = _choices(workflow.MeetingStatus, workflow.MEETING_STATUS_LABELS)
REFERRAL_STATUS_CHOICES = _choices(workflow.ReferralStatus, workflow.REFERRAL_STATUS_LABELS)
REFERRAL_KIND_CHOICES = _choices(workflow.ReferralKind, workflow.REFERRAL_KIND_LABELS)
COST_CATEGORY_CHOICES = _choices(workflow.CostCategory, workflow.COST_CATEGORY_LABELS)
MEMBER_TYPE_CHOICES = _choices(workflow.MemberType, workflow.MEMBER_TYPE_LABELS)
NATURE_CHOICES = _choices(workflow.DeclarationNature, workflow.DECLARATION_NATURE_LABELS)
OUTCOME_CHOICES = _choices(workflow.DecisionOutcome, workflow.DECISION_OUTCOME_LABELS)
ANSWER_CHOICES = _choices(workflow.TestAnswer, workflow.TEST_ANSWER_LABELS)
APPROVALS = sorted(o.value for o in workflow.APPROVALS)
# Once the papers are out, members read the pack (docs/architecture.md §1).
CIRCULATED = [
    workflow.MeetingStatus.PAPERS_CIRCULATED,
    workflow.MeetingStatus.HELD,
    workflow.MeetingStatus.MINUTES_APPROVED,
]


# A head teacher reads the papers of a meeting circulated to them until its minutes are approved.
HEAD_TEACHER_OPEN = [workflow.MeetingStatus.PAPERS_CIRCULATED, workflow.MeetingStatus.HELD]


def _sees_all_panel_business(user: Any) -> bool:
    return user_can(user, Capability.PANEL_CHAIR) or user_has_role(user, Role.MANAGER)


# --- Members -----------------------------------------------------------------------------------


class PanelMemberQuerySet(models.QuerySet["PanelMember"]):
    def active(self) -> PanelMemberQuerySet:
        return self.filter(active=True)


class PanelMember(models.Model):
    """A person who sits on the panel. All active members sit on every meeting."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="panel_member")
    member_type = models.CharField(max_length=20, choices=MEMBER_TYPE_CHOICES)
    # The school a head teacher leads: the basis of automatic recusal.
    establishment = models.ForeignKey(
        Establishment, on_delete=models.PROTECT, null=True, blank=True, related_name="panel_members"
    )
    active = models.BooleanField(default=True)

    objects = PanelMemberQuerySet.as_manager()

    class Meta:
        ordering = ["member_type", "pk"]
        constraints = [
            models.CheckConstraint(condition=_in("member_type", workflow.MemberType), name="panel_member_type_valid"),
            models.CheckConstraint(
                condition=~Q(member_type=workflow.MemberType.HEAD_TEACHER) | Q(establishment__isnull=False),
                name="panel_head_teacher_has_establishment",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user.get_full_name() or self.user.get_username()} ({self.get_member_type_display()})"

    @property
    def is_head_teacher(self) -> bool:
        return self.member_type == workflow.MemberType.HEAD_TEACHER

    def facts(self) -> workflow.MemberFacts:
        return workflow.MemberFacts(
            member_id=self.pk, member_type=self.member_type, establishment_id=self.establishment_id
        )


# --- Meetings ----------------------------------------------------------------------------------


class PanelMeetingQuerySet(models.QuerySet["PanelMeeting"]):
    def visible_to(self, user: Any) -> PanelMeetingQuerySet:
        """The chair and managers see every meeting; an active member sees a meeting once its
        papers are circulated (every active member sits on every meeting).

        A head teacher is an external member (docs/architecture.md §1; the panel's terms of reference):
        they see only the meetings whose papers were circulated to them, and only until the
        minutes are approved. After that the papers are no longer theirs to read."""
        if _sees_all_panel_business(user):
            return self.all()
        if not user_can(user, Capability.PANEL_VIEW):
            return self.none()
        member = PanelMember.objects.active().filter(user=user).first()
        if member is None:
            return self.none()
        if member.is_head_teacher:
            return self.filter(circulated_to=member, status__in=HEAD_TEACHER_OPEN)
        return self.filter(status__in=CIRCULATED)

    def upcoming(self, *, on: Any) -> PanelMeetingQuerySet:
        return self.filter(held_on__gte=on, status=workflow.MeetingStatus.SCHEDULED)


class PanelMeeting(models.Model):
    held_on = models.DateField()
    starts_at = models.TimeField()
    location = models.CharField(max_length=200)
    status = models.CharField(max_length=20, choices=MEETING_STATUS_CHOICES, default=workflow.MeetingStatus.SCHEDULED)
    chair = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # The members the papers went to (the active members when they were circulated): the
    # meeting's membership, which limits what a head teacher may read.
    circulated_to = models.ManyToManyField("PanelMember", blank=True, related_name="meetings_circulated")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PanelMeetingQuerySet.as_manager()

    class Meta:
        ordering = ["-held_on", "-starts_at", "-pk"]
        indexes = [models.Index(fields=["held_on", "status"], name="panel_meeting_held_on")]
        constraints = [
            models.CheckConstraint(condition=_in("status", workflow.MeetingStatus), name="panel_meeting_status_valid"),
        ]

    def __str__(self) -> str:
        return f"Panel {self.held_on:%d/%m/%Y} {self.starts_at:%H:%M}"


# --- Referrals ---------------------------------------------------------------------------------


class ReferralQuerySet(models.QuerySet["Referral"]):
    def visible_to(self, user: Any) -> ReferralQuerySet:
        """Chair, managers and referring officers see every referral (one council team); a
        member sees the referrals on the agendas of meetings whose papers are out."""
        if _sees_all_panel_business(user) or user_can(user, Capability.PANEL_REFER):
            return self.all()
        meetings = PanelMeeting.objects.visible_to(user)
        return self.filter(
            pk__in=AgendaItem.objects.filter(meeting__in=meetings)
            .exclude(status=AgendaItemStatus.WITHDRAWN)
            .values("referral_id")
        )

    def awaiting_panel(self) -> ReferralQuerySet:
        return self.filter(status=workflow.ReferralStatus.AWAITING_PANEL)


class Referral(models.Model):
    """A child's case put to the panel: the setting or funding asked for, the maintained
    options weighed against it, the needs and the cost."""

    request = models.ForeignKey(AssessmentRequest, on_delete=models.PROTECT, related_name="panel_referrals")
    kind = models.CharField(max_length=30, choices=REFERRAL_KIND_CHOICES)
    status = models.CharField(
        max_length=20, choices=REFERRAL_STATUS_CHOICES, default=workflow.ReferralStatus.AWAITING_PANEL
    )
    proposed_establishment = models.ForeignKey(
        Establishment, on_delete=models.PROTECT, null=True, blank=True, related_name="proposed_in_referrals"
    )
    parental_preference = models.TextField(blank=True)
    parental_preference_establishment = models.ForeignKey(
        Establishment, on_delete=models.PROTECT, null=True, blank=True, related_name="preferred_in_referrals"
    )
    needs_summary = models.TextField(blank=True)
    evidence = models.JSONField(default=list, blank=True, help_text="The supporting documents, one a line")
    notes = models.TextField(blank=True)
    referred_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    referred_on = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # An annual fee review sent back to the panel (its agreed figure is above the ceiling): the
    # placement contract it reviews and the annual figures before and after. The placements app
    # links its fee review to this referral; these copies let the panel's pages say what it is
    # without reaching up into placements (docs/architecture.md §2).
    fee_review_contract = models.CharField(
        "contract under fee review", max_length=20, blank=True, help_text="The contract reference, IPA-nnnnnn"
    )
    fee_review_current_pence = models.PositiveIntegerField(null=True, blank=True)
    fee_review_proposed_pence = models.PositiveIntegerField(null=True, blank=True)

    objects = ReferralQuerySet.as_manager()

    class Meta:
        ordering = ["-referred_on", "-pk"]
        indexes = [
            models.Index(fields=["status", "referred_on"], name="referral_status_referred"),
            models.Index(fields=["referred_on"], name="referral_referred_on"),
        ]
        constraints = [
            models.CheckConstraint(condition=_in("kind", workflow.ReferralKind), name="referral_kind_valid"),
            models.CheckConstraint(condition=_in("status", workflow.ReferralStatus), name="referral_status_valid"),
            models.CheckConstraint(
                condition=Q(
                    fee_review_contract="",
                    fee_review_current_pence__isnull=True,
                    fee_review_proposed_pence__isnull=True,
                )
                # Both figures present (a NULL would pass a ">= 0" check unnoticed).
                | (
                    ~Q(fee_review_contract="")
                    & Q(fee_review_current_pence__isnull=False, fee_review_proposed_pence__isnull=False)
                    & Q(fee_review_current_pence__gte=0, fee_review_proposed_pence__gte=0)
                ),
                name="referral_fee_review_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"Referral {self.pk} ({self.get_kind_display()})"

    @property
    def is_fee_review(self) -> bool:
        return bool(self.fee_review_contract)

    def facts(self) -> workflow.ReferralFacts:
        return workflow.ReferralFacts(
            kind=self.kind,
            proposed_establishment_id=self.proposed_establishment_id,
            parental_preference=self.parental_preference,
            needs_summary=self.needs_summary,
            option_reasons=[o.reason for o in self.options.all()],
            cost_line_amounts=[c.annual_amount_pence for c in self.cost_lines.all()],
        )

    def item_facts(self) -> workflow.ItemFacts:
        return workflow.ItemFacts(
            proposed_establishment_id=self.proposed_establishment_id,
            option_establishment_ids=[o.establishment_id for o in self.options.all()],
            preference_establishment_id=self.parental_preference_establishment_id,
        )


class ReferralOption(models.Model):
    """A maintained or academy setting considered, and why it does or does not meet need."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="options")
    establishment = models.ForeignKey(Establishment, on_delete=models.PROTECT, related_name="+")
    meets_need = models.BooleanField()
    reason = models.TextField()
    # The alternative's annual cost, for the efficient-use-of-resources comparison.
    annual_cost_pence = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["referral", "establishment"], name="referral_option_unique"),
            models.CheckConstraint(condition=_not_negative("annual_cost_pence"), name="referral_option_cost_positive"),
        ]

    def __str__(self) -> str:
        return f"Option {self.establishment_id} for referral {self.referral_id}"


class ReferralCostLine(models.Model):
    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="cost_lines")
    category = models.CharField(max_length=20, choices=COST_CATEGORY_CHOICES)
    annual_amount_pence = models.PositiveIntegerField()
    description = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=_in("category", workflow.CostCategory), name="referral_cost_category_valid"
            ),
            models.CheckConstraint(condition=Q(annual_amount_pence__gte=0), name="referral_cost_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()} {self.annual_amount_pence}p"


# --- Agenda --------------------------------------------------------------------------------------


class AgendaItemStatus(models.TextChoices):
    LISTED = "listed", "On the agenda"
    DECIDED = "decided", "Decided"
    WITHDRAWN = "withdrawn", "Withdrawn"
    DEFERRED = "deferred", "Deferred by the chair"


class AgendaItem(models.Model):
    meeting = models.ForeignKey(PanelMeeting, on_delete=models.PROTECT, related_name="items")
    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="agenda_items")
    position = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=10, choices=AgendaItemStatus.choices, default=AgendaItemStatus.LISTED)
    # Why the item was withdrawn, or deferred by the chair.
    withdrawn_reason = models.TextField(blank=True)
    # The later meeting a chair's deferral moved the referral to.
    deferred_to = models.ForeignKey(
        PanelMeeting, on_delete=models.PROTECT, null=True, blank=True, related_name="items_deferred_here"
    )
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["meeting", "position"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=AgendaItemStatus.values), name="agenda_item_status_valid"),
            # Withdrawn items keep their number, so the minutes still read "item 3: withdrawn".
            models.UniqueConstraint(fields=["meeting", "position"], name="agenda_item_position_unique"),
            # A referral waits for one decision at a time.
            models.UniqueConstraint(
                fields=["referral"], condition=Q(status=AgendaItemStatus.LISTED), name="one_undecided_item_per_referral"
            ),
            models.CheckConstraint(
                condition=~Q(status=AgendaItemStatus.WITHDRAWN) | ~Q(withdrawn_reason=""),
                name="agenda_item_withdrawal_has_reason",
            ),
            models.CheckConstraint(
                condition=(Q(status=AgendaItemStatus.DEFERRED) & ~Q(withdrawn_reason="") & Q(deferred_to__isnull=False))
                | (~Q(status=AgendaItemStatus.DEFERRED) & Q(deferred_to__isnull=True)),
                name="agenda_item_deferral_has_reason_and_meeting",
            ),
        ]

    def __str__(self) -> str:
        return f"Item {self.position} (meeting {self.meeting_id})"


# --- Declarations and attendance -------------------------------------------------------------


class Declaration(models.Model):
    member = models.ForeignKey(PanelMember, on_delete=models.PROTECT, related_name="declarations")
    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="declarations")
    interest = models.TextField(blank=True)
    nature = models.CharField(max_length=12, choices=NATURE_CHOICES)
    recused = models.BooleanField(default=False)
    # Made by the system (workflow.conflicts_for), not by the member.
    automatic = models.BooleanField(default=False)
    declared_at = models.DateTimeField()

    class Meta:
        ordering = ["item", "member"]
        constraints = [
            models.CheckConstraint(
                condition=_in("nature", workflow.DeclarationNature), name="declaration_nature_valid"
            ),
            models.UniqueConstraint(fields=["member", "item"], name="one_declaration_per_member_item"),
            models.CheckConstraint(
                condition=Q(nature=workflow.DeclarationNature.NONE) | ~Q(interest=""),
                name="declaration_interest_described",
            ),
            # A prejudicial interest, and any detected conflict, takes the member out of the item.
            models.CheckConstraint(
                condition=~Q(nature=workflow.DeclarationNature.PREJUDICIAL) | Q(recused=True),
                name="declaration_prejudicial_recuses",
            ),
            models.CheckConstraint(
                condition=Q(automatic=False) | Q(recused=True), name="declaration_automatic_recuses"
            ),
        ]

    def __str__(self) -> str:
        return f"Declaration by member {self.member_id} on item {self.item_id}"


class Attendance(models.Model):
    meeting = models.ForeignKey(PanelMeeting, on_delete=models.CASCADE, related_name="attendance")
    member = models.ForeignKey(PanelMember, on_delete=models.PROTECT, related_name="attendance")
    present = models.BooleanField()

    class Meta:
        ordering = ["meeting", "member"]
        constraints = [models.UniqueConstraint(fields=["meeting", "member"], name="one_attendance_per_member")]

    def __str__(self) -> str:
        return f"Member {self.member_id} {'present' if self.present else 'absent'} (meeting {self.meeting_id})"


# --- Decisions ---------------------------------------------------------------------------------


class PanelDecisionQuerySet(models.QuerySet["PanelDecision"]):
    def visible_to(self, user: Any) -> PanelDecisionQuerySet:
        """Decisions ``user`` may read: everything the panel rule lets them see of its meetings,
        and for the placements team (finance) the approvals a contract is made against: the
        council's scheme of delegation lets finance commit money only within a panel approval,
        so it must be able to read that approval (its tests, reasons, ceiling and conditions)."""
        if _sees_all_panel_business(user) or user_can(user, Capability.PANEL_REFER):
            return self.all()
        visible = Q(item__meeting__in=PanelMeeting.objects.visible_to(user))
        if user_can(user, Capability.PLACEMENT_VIEW):
            visible |= Q(outcome__in=APPROVALS)
        return self.filter(visible)

    def final(self) -> PanelDecisionQuerySet:
        return self.filter(outcome__in=[o.value for o in workflow.FINAL_OUTCOMES])

    def decided_between(self, date_from: Any, date_to: Any) -> PanelDecisionQuerySet:
        """Decisions taken at meetings held in the period (the meeting day is the decision day)."""
        return self.filter(item__meeting__held_on__gte=date_from, item__meeting__held_on__lte=date_to)


class PanelDecision(models.Model):
    """The panel's decision on one agenda item, with its reasons against the s.39(4) tests."""

    item = models.ForeignKey(AgendaItem, on_delete=models.PROTECT, related_name="decisions")
    outcome = models.CharField(max_length=30, choices=OUTCOME_CHOICES)
    # The guard for "a decision only at a held meeting". The service locks the meeting row and
    # copies the status it read under that lock; the CHECK refuses any other value. A trigger
    # (or a composite foreign key to (meeting, status)) would check the live status itself, but
    # Django has neither portably across PostgreSQL and SQLite; and a meeting leaves "held"
    # only through minutes_approve, which takes the same row lock, so the copy cannot be stale.
    meeting_status_at_decision = models.CharField(max_length=20, choices=MEETING_STATUS_CHOICES)

    # s.39(4) tests: an answer and the reasoning for each.
    suitable_answer = models.CharField(
        "suitable for age, ability, aptitude and SEN", max_length=12, choices=ANSWER_CHOICES
    )
    suitable_text = models.TextField(blank=True)
    compatible_answer = models.CharField(
        "compatible with the efficient education of others", max_length=12, choices=ANSWER_CHOICES
    )
    compatible_text = models.TextField(blank=True)
    resources_answer = models.CharField("efficient use of resources", max_length=12, choices=ANSWER_CHOICES)
    resources_text = models.TextField(blank=True)
    # The costs compared under the efficient-use test: the referral's total when decided, and
    # the maintained alternative's.
    requested_annual_cost_pence = models.PositiveIntegerField()
    maintained_alternative_cost_pence = models.PositiveIntegerField(null=True, blank=True)

    reasons_text = models.TextField()
    agreed_annual_ceiling_pence = models.PositiveIntegerField(null=True, blank=True)
    # Why a ceiling below the lowest costed option or far above the request was agreed
    # (workflow.ceiling_needs_reason).
    ceiling_reason = models.TextField(blank=True)
    conditions = models.TextField(blank=True, help_text="Review date, attendance expectations")
    deferred_to = models.ForeignKey(
        PanelMeeting, on_delete=models.PROTECT, null=True, blank=True, related_name="deferred_decisions"
    )
    quorum = models.JSONField(help_text="Who was present, who was recused, the counts")
    participants = models.ManyToManyField(PanelMember, related_name="decisions_taken", blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # Who took the item: the meeting's chair, or a vice-chair in their place
    # (workflow.item_chair_refusal). Empty on decisions recorded before this was kept.
    chaired_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField()
    # The cost intelligence the panel decided on, as it stood then (figures only): each costed
    # line with its benchmark and flags, and the maintained special-school average. The minutes
    # show these, so a record does not change when the market data does. Empty (and null) on
    # decisions recorded before they were kept: the minutes then work them out as before.
    cost_benchmarks = models.JSONField(default=list, blank=True)
    maintained_average_pence = models.PositiveIntegerField(null=True, blank=True)

    objects = PanelDecisionQuerySet.as_manager()

    class Meta:
        ordering = ["recorded_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["item"], name="one_decision_per_item"),
            models.CheckConstraint(
                condition=_in("outcome", workflow.DecisionOutcome), name="panel_decision_outcome_valid"
            ),
            models.CheckConstraint(
                condition=Q(meeting_status_at_decision=workflow.MeetingStatus.HELD),
                name="panel_decision_at_held_meeting",
            ),
            models.CheckConstraint(
                condition=_in("suitable_answer", workflow.TestAnswer)
                & _in("compatible_answer", workflow.TestAnswer)
                & _in("resources_answer", workflow.TestAnswer),
                name="panel_decision_answers_valid",
            ),
            models.CheckConstraint(
                condition=Q(requested_annual_cost_pence__gte=0)
                & _not_negative("maintained_alternative_cost_pence")
                & _not_negative("agreed_annual_ceiling_pence"),
                name="panel_decision_amounts_not_negative",
            ),
            # An approval carries the agreed ceiling; nothing else does.
            models.CheckConstraint(
                condition=Q(outcome__in=APPROVALS, agreed_annual_ceiling_pence__isnull=False)
                | (~Q(outcome__in=APPROVALS) & Q(agreed_annual_ceiling_pence__isnull=True)),
                name="panel_decision_ceiling_iff_approved",
            ),
            models.CheckConstraint(
                condition=Q(outcome=workflow.DecisionOutcome.DEFER, deferred_to__isnull=False)
                | (~Q(outcome=workflow.DecisionOutcome.DEFER) & Q(deferred_to__isnull=True)),
                name="panel_decision_deferred_to_iff_deferred",
            ),
            models.CheckConstraint(
                condition=~Q(outcome=workflow.DecisionOutcome.APPROVE_WITH_CONDITIONS) | ~Q(conditions=""),
                name="panel_decision_conditions_stated",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} (item {self.item_id})"


# --- Minutes -----------------------------------------------------------------------------------


class MinutesStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    APPROVED = "approved", "Approved"


class PanelMinutes(models.Model):
    meeting = models.OneToOneField(PanelMeeting, on_delete=models.PROTECT, related_name="minutes")
    body = models.TextField()
    content = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=MinutesStatus.choices, default=MinutesStatus.DRAFT)
    generated_at = models.DateTimeField()
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "panel minutes"
        constraints = [
            models.CheckConstraint(condition=Q(status__in=MinutesStatus.values), name="panel_minutes_status_valid"),
            models.CheckConstraint(
                condition=Q(status=MinutesStatus.DRAFT, approved_by__isnull=True, approved_at__isnull=True)
                | Q(status=MinutesStatus.APPROVED, approved_by__isnull=False, approved_at__isnull=False),
                name="panel_minutes_approval_recorded",
            ),
        ]

    def __str__(self) -> str:
        return f"Minutes of meeting {self.meeting_id} ({self.get_status_display()})"


# --- Events ------------------------------------------------------------------------------------


class PanelEventAction(models.TextChoices):
    REFERRAL_CREATED = "referral_created", "Referral made"
    REFERRAL_UPDATED = "referral_updated", "Referral updated"
    MEMBER_ADDED = "member_added", "Panel member added"
    MEETING_SCHEDULED = "meeting_scheduled", "Meeting scheduled"
    ITEM_ADDED = "item_added", "Added to the agenda"
    ITEM_WITHDRAWN = "item_withdrawn", "Withdrawn from the agenda"
    PAPERS_CIRCULATED = "papers_circulated", "Papers circulated"
    INTEREST_DECLARED = "interest_declared", "Interest declared"
    ATTENDANCE_RECORDED = "attendance_recorded", "Attendance recorded"
    MEETING_HELD = "meeting_held", "Meeting held"
    DECISION_RECORDED = "decision_recorded", "Decision recorded"
    ITEM_DEFERRED = "item_deferred", "Deferred by the chair"
    DECLARATION_CORRECTED = "declaration_corrected", "Declaration corrected by the chair"
    ATTENDANCE_CORRECTED = "attendance_corrected", "Attendance corrected"
    MINUTES_DRAFTED = "minutes_drafted", "Minutes drafted"
    MINUTES_UPDATED = "minutes_updated", "Minutes edited"
    MINUTES_APPROVED = "minutes_approved", "Minutes approved"
    FEE_REVIEW_REFERRED = "fee_review_referred", "Annual fee review referred back to the panel"


class PanelEvent(AppendOnlyModel):
    """Append-only: one row per change to panel business, written in the change's transaction.
    ``payload`` holds ids and codes, never a child's details."""

    meeting = models.ForeignKey(PanelMeeting, on_delete=models.CASCADE, null=True, blank=True, related_name="events")
    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, null=True, blank=True, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=30, choices=PanelEventAction.choices)
    occurred_at = models.DateTimeField()
    payload = models.JSONField(default=dict, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["occurred_at", "pk"]
        indexes = [
            models.Index(fields=["meeting", "occurred_at"], name="panel_event_meeting"),
            models.Index(fields=["referral", "occurred_at"], name="panel_event_referral"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(action__in=PanelEventAction.values), name="panel_event_action_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.action} at {self.occurred_at:%Y-%m-%d %H:%M}"
