"""EHC needs-assessment requests: the child, the request and what happens to it.

Data and constraints only. Every change of state goes through ``requests_app.services``;
the statuses, transitions and reasons come from ``requests_app.workflow`` and the deadlines
from ``requests_app.clocks`` (pure modules). The database enforces what must never be wrong
whatever door a row came through: valid codes, ordered dates, one open request per child.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any, cast

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.models import AppendOnlyModel, District, Establishment, NeedType
from core.roles import Capability, user_can
from requests_app import clocks, contact_log, disputes, workflow

# Sorted: a frozenset's order changes between runs, and the migration must not.
OPEN = sorted(status.value for status in workflow.OPEN_STATUSES)
CLOSED = sorted(status.value for status in workflow.CLOSED_STATUSES)


def _choices(enum_cls: Any, labels: dict[Any, str]) -> list[tuple[str, str]]:
    return [(member.value, labels[member]) for member in enum_cls]


def _text_choices(name: str, enum_cls: type[workflow.Status | workflow.EventAction]) -> type[models.TextChoices]:
    """A TextChoices class with the members and labels of a pure enum, so that models, forms and
    the API share one list. It is made with Enum's functional API (``TextChoices(name, members)``
    returns a class), which django-stubs does not describe: it types only the class statement, so
    the call's signature is stated here, once."""
    build = cast(Callable[[str, list[tuple[str, tuple[str, str]]]], type[models.TextChoices]], models.TextChoices)
    return build(name, [(member.name, (member.value, member.label)) for member in enum_cls])


RequestStatus = _text_choices("RequestStatus", workflow.Status)
EventActionChoice = _text_choices("EventActionChoice", workflow.EventAction)


class Sex(models.TextChoices):
    MALE = "M", "Male"
    FEMALE = "F", "Female"
    UNKNOWN = "U", "Not known"


class Sen2Outcome(models.TextChoices):
    """SEN2 ``requestoutcome`` / ``assessmentoutcome`` codes (docs/domain.md §3.3)."""

    YES = "Y", "Yes"
    NO = "N", "No"
    UNDECIDED = "A", "Not yet decided"
    WITHDRAWN = "W", "Withdrawn or ceased"


class RequestSource(models.TextChoices):
    """Who asked (s.36(1)) or brought the child to the council's attention (s.24)."""

    PARENT = "parent", "Parent"
    YOUNG_PERSON = "young_person", "Young person (16 to 25)"
    SCHOOL = "school", "School or setting"
    OTHER = "other", "Other professional (s.24)"


class PlacementType(models.TextChoices):
    """The kind of placement named in section I of the final plan (docs/domain.md §2.2)."""

    MAINSTREAM = "mainstream", "Mainstream school"
    RESOURCED_PROVISION = "resourced_provision", "Resourced provision or SEN unit"
    SPECIAL_MAINTAINED = "special_maintained", "Special school – LA maintained"
    SPECIAL_ACADEMY = "special_academy", "Special school – academy or free school"
    INDEPENDENT_SPECIAL = "independent_special", "Independent special school"
    NON_MAINTAINED_SPECIAL = "non_maintained_special", "Non-maintained special school"
    FURTHER_EDUCATION = "further_education", "Further education college"
    SPECIALIST_POST16 = "specialist_post16", "Specialist post-16 institution"
    OTHER = "other", "Other arrangement"


class Recommendation(models.TextChoices):
    ASSESS = "assess", "Assess"
    DO_NOT_ASSESS = "do_not_assess", "Do not assess"
    MORE_INFORMATION = "more_information", "More information needed"


class DecisionStage(models.TextChoices):
    ASSESS = "assess", "Whether to assess (reg 5)"
    ISSUE = "issue", "Whether to issue a plan (reg 10)"


class DecisionOutcome(models.TextChoices):
    ASSESS = "assess", "Assess"
    REFUSE = "refuse", "Refuse to assess"
    ISSUE = "issue", "Issue a plan"
    NOT_ISSUE = "not_issue", "Do not issue a plan"


class AdviserType(models.TextChoices):
    """reg 6(1): the advice the council must seek."""

    EDUCATIONAL_PSYCHOLOGY = "educational_psychology", "Educational psychology"
    HEALTH = "health", "Health"
    SOCIAL_CARE = "social_care", "Social care"
    EDUCATION_SETTING = "education_setting", "Education setting"
    PARENT_OR_YOUNG_PERSON = "parent_or_young_person", "Parent or young person"
    PREPARING_FOR_ADULTHOOD = "preparing_for_adulthood", "Preparing for adulthood"
    OTHER = "other", "Other"


class ExceptionKind(models.TextChoices):
    """clocks.ExceptionType with labels (regs 5(4), 8(2), 10(4), 13(3))."""

    SCHOOL_CLOSURE = clocks.ExceptionType.SCHOOL_CLOSURE.value, "School or setting closed for 4 weeks or more"
    PERSONAL_CIRCUMSTANCES = (
        clocks.ExceptionType.PERSONAL_CIRCUMSTANCES.value,
        "Exceptional personal circumstances",
    )
    ABSENCE_FROM_AREA = clocks.ExceptionType.ABSENCE_FROM_AREA.value, "Away from the area for 4 weeks or more"
    MISSED_APPOINTMENT = clocks.ExceptionType.MISSED_APPOINTMENT.value, "Missed appointment (advice only)"


def _in(field: str, values: list[str], *, blank: bool = False) -> Q:
    """``field`` holds one of ``values`` (or is empty, when ``blank``)."""
    return Q(**{f"{field}__in": [*values, ""] if blank else values})


def _ordered(later: str, earlier: str) -> Q:
    """``later`` is on or after ``earlier`` whenever both are set."""
    return (
        Q(**{f"{later}__isnull": True}) | Q(**{f"{earlier}__isnull": True}) | Q(**{f"{later}__gte": models.F(earlier)})
    )


# --- Child -------------------------------------------------------------------------------------


class Child(models.Model):
    """A child or young person (0-25) the council holds a request for."""

    forename = models.CharField("first name", max_length=100)
    surname = models.CharField("last name", max_length=100)
    date_of_birth = models.DateField()
    sex = models.CharField(max_length=1, choices=Sex.choices, default=Sex.UNKNOWN)
    upn = models.CharField("UPN", max_length=13, blank=True, help_text="Unique pupil number")
    postcode = models.CharField(max_length=10, blank=True)
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="children")
    current_establishment = models.ForeignKey(
        Establishment, on_delete=models.PROTECT, null=True, blank=True, related_name="pupils"
    )
    primary_need = models.CharField(max_length=4, choices=NeedType.choices)
    secondary_need = models.CharField(max_length=4, choices=NeedType.choices, blank=True)
    # SEN2 person items (docs/sen2.md): CBDS ethnicity code, unique learner number and, when
    # neither UPN nor ULN is known, the reason (UPNunknown).
    ethnicity = models.CharField(max_length=4, blank=True, default="", db_default="")
    uln = models.CharField("unique learner number", max_length=10, blank=True, default="", db_default="")
    upn_unknown = models.CharField("reason the UPN is unknown", max_length=4, blank=True, default="", db_default="")
    # The previous system's child reference, kept so a re-run import finds the same child.
    legacy_ref = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Data protection (issue 14): a legal hold stops the retention schedule; anonymised_at is set
    # when the schedule has removed what identifies the child (requests_app/services/retention.py).
    legal_hold = models.BooleanField(default=False, db_default=False)
    legal_hold_reason = models.CharField(max_length=200, blank=True, default="", db_default="")
    anonymised_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "children"
        ordering = ["surname", "forename", "pk"]
        indexes = [
            # find_duplicates: same date of birth, then a name comparison.
            models.Index(fields=["date_of_birth", "surname"], name="child_dob_surname"),
        ]
        constraints = [
            models.CheckConstraint(condition=_in("sex", Sex.values), name="child_sex_valid"),
            models.CheckConstraint(condition=_in("primary_need", NeedType.values), name="child_primary_need_valid"),
            models.CheckConstraint(
                condition=_in("secondary_need", NeedType.values, blank=True), name="child_secondary_need_valid"
            ),
            models.UniqueConstraint(fields=["upn"], condition=~Q(upn=""), name="child_upn_unique"),
            models.UniqueConstraint(fields=["legacy_ref"], condition=~Q(legacy_ref=""), name="child_legacy_ref_unique"),
        ]

    def __str__(self) -> str:
        # Initials only: str() ends up in logs and admin history.
        return f"Child {self.pk} ({self.initials})"

    @property
    def initials(self) -> str:
        return f"{self.forename[:1]}{self.surname[:1]}".upper()

    @property
    def full_name(self) -> str:
        return f"{self.forename} {self.surname}".strip()

    def age(self, on: date | None = None) -> int:
        return clocks.age_on(self.date_of_birth, on or timezone.localdate())


# --- Assessment request ------------------------------------------------------------------------


class AssessmentRequestQuerySet(models.QuerySet["AssessmentRequest"]):
    def open(self) -> AssessmentRequestQuerySet:
        return self.filter(status__in=OPEN)

    def closed(self) -> AssessmentRequestQuerySet:
        return self.filter(status__in=CLOSED)

    def in_status(self, *statuses: workflow.Status | str) -> AssessmentRequestQuerySet:
        return self.filter(status__in=[workflow.Status(s).value for s in statuses])

    def overdue(self, *, on: date) -> AssessmentRequestQuerySet:
        """Open requests whose current target has passed ("within" means on or before it)."""
        return self.open().filter(next_deadline_on__lt=on)

    def due_within(self, days: int, *, on: date) -> AssessmentRequestQuerySet:
        """Open requests whose current target falls between ``on`` and ``on + days``."""
        return self.open().filter(next_deadline_on__gte=on, next_deadline_on__lte=on + timedelta(days=days))

    def unassigned(self) -> AssessmentRequestQuerySet:
        return self.open().filter(assigned_officer__isnull=True)

    def visible_to(self, user: Any) -> AssessmentRequestQuerySet:
        # Every SEN team member with the view capability sees every request (one council team).
        return self.all() if user_can(user, Capability.REQUEST_VIEW) else self.none()

    def with_queue_related(self) -> AssessmentRequestQuerySet:
        return self.select_related("child", "child__district", "assigned_officer")


class AssessmentRequest(models.Model):
    """One request for an EHC needs assessment, from day 1 to its outcome."""

    reference = models.CharField(max_length=30, blank=True)
    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="requests")
    # A copy of the child's district (docs/decisions/0007-district-on-request.md): the queue and
    # the reports filter and group by district at national size without joining children. Set
    # from the child wherever a request is created and updated with the child's district
    # (services.children.child_change_district); null only for rows written before the copy existed.
    district = models.ForeignKey(
        District, on_delete=models.PROTECT, null=True, blank=True, related_name="requests", editable=False
    )
    received_on = models.DateField(help_text="Day 1: the date the council received the request")
    source = models.CharField(max_length=20, choices=RequestSource.choices)
    requester_name = models.CharField(max_length=200, blank=True)
    requester_email = models.EmailField(blank=True)
    requester_phone = models.CharField(max_length=30, blank=True)
    requester_relationship = models.CharField(max_length=100, blank=True)
    # A legal hold on one request holds the whole child's case file (retention, issue 14).
    legal_hold = models.BooleanField(default=False, db_default=False)
    assigned_officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="assigned_requests"
    )
    status = models.CharField(max_length=30, choices=RequestStatus.choices, default=workflow.Status.RECEIVED.value)

    # Statutory due dates and exception-adjusted targets: clocks.request_clocks, stored.
    decision_due_on = models.DateField()
    not_issue_due_on = models.DateField()
    final_plan_due_on = models.DateField()
    decision_target_on = models.DateField()
    not_issue_target_on = models.DateField()
    final_plan_target_on = models.DateField()
    week20 = models.BooleanField("20-week exception applies", default=False)
    next_deadline_on = models.DateField(null=True, blank=True)

    # SEN2 outcomes (docs/domain.md §3.3).
    request_outcome = models.CharField(max_length=1, choices=Sen2Outcome.choices, default=Sen2Outcome.UNDECIDED)
    request_outcome_on = models.DateField(null=True, blank=True)
    assessment_outcome = models.CharField(max_length=1, choices=Sen2Outcome.choices, blank=True)
    assessment_outcome_on = models.DateField(null=True, blank=True)
    draft_issued_on = models.DateField(null=True, blank=True)
    family_comments_received_on = models.DateField(null=True, blank=True)
    final_plan_issued_on = models.DateField(null=True, blank=True)
    named_establishment = models.ForeignKey(
        Establishment, on_delete=models.PROTECT, null=True, blank=True, related_name="named_in_requests"
    )
    placement_type = models.CharField(max_length=30, choices=PlacementType.choices, blank=True)
    # Set by services.request_create: the child already had an EHC plan when this request came,
    # so it asks for a reassessment (s.44), not a first assessment.
    is_reassessment = models.BooleanField("reassessment request", default=False, db_default=False, editable=False)
    closed_reason = models.TextField(blank=True)
    # SEN2 items (docs/sen2.md): the source in SEN2's codes when it differs from the one derived
    # from ``source``; the request made in relevant youth accommodation; the plan's own start
    # date (a transferred-in plan may start before it was issued here); the plan's end.
    sen2_request_source = models.CharField(max_length=1, blank=True, default="", db_default="")
    rya = models.BooleanField("made in relevant youth accommodation", default=False, db_default=False)
    plan_start_on = models.DateField("plan start date", null=True, blank=True)
    plan_ceased_on = models.DateField("plan ceased on", null=True, blank=True)
    plan_cease_reason = models.CharField(max_length=1, blank=True, default="", db_default="")
    imported = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AssessmentRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-received_on", "-pk"]
        indexes = [
            # The queues: open requests by their next target.
            models.Index(fields=["next_deadline_on", "status"], name="request_next_deadline"),
            # The triage queue in its own order, open requests only (a tenth of the rows at national
            # size): the first page of a filtered queue walks it and stops (docs/benchmarks.md).
            models.Index(
                fields=["next_deadline_on", "received_on", "id"],
                condition=Q(status__in=OPEN),
                name="request_open_queue",
            ),
            # The same order within one district: the district filter's first page and its counts
            # (all open, overdue) are range scans of one district's open requests.
            models.Index(
                fields=["district", "next_deadline_on", "received_on", "id"],
                condition=Q(status__in=OPEN),
                name="request_open_district_queue",
            ),
            # An officer's caseload, soonest first.
            models.Index(fields=["assigned_officer", "next_deadline_on"], name="request_officer_deadline"),
            # Report periods: requests received / decided / issued in a year (SEN2, dashboards).
            models.Index(fields=["received_on"], name="request_received_on"),
            models.Index(fields=["request_outcome_on"], name="request_outcome_on"),
            models.Index(fields=["assessment_outcome_on"], name="request_assessment_outcome_on"),
            models.Index(fields=["decision_due_on"], name="request_decision_due_on"),
            models.Index(fields=["final_plan_due_on"], name="request_final_plan_due_on"),
        ]
        constraints = [
            models.CheckConstraint(condition=_in("status", RequestStatus.values), name="request_status_valid"),
            models.CheckConstraint(condition=_in("source", RequestSource.values), name="request_source_valid"),
            models.CheckConstraint(condition=_in("request_outcome", Sen2Outcome.values), name="request_outcome_valid"),
            models.CheckConstraint(
                condition=_in("assessment_outcome", Sen2Outcome.values, blank=True),
                name="request_assessment_outcome_valid",
            ),
            # An assessment outcome exists only once the council decided to assess.
            models.CheckConstraint(
                condition=Q(assessment_outcome="") | Q(request_outcome=Sen2Outcome.YES),
                name="request_assessment_outcome_needs_assessment",
            ),
            models.CheckConstraint(
                condition=_in("placement_type", PlacementType.values, blank=True),
                name="request_placement_type_valid",
            ),
            # Only one request per child can be in progress; a later one waits for the outcome.
            models.UniqueConstraint(fields=["child"], condition=Q(status__in=OPEN), name="one_open_request_per_child"),
            # Imported requests keep their own reference; new ones get REQ-nnnnnn after insert.
            models.UniqueConstraint(fields=["reference"], condition=~Q(reference=""), name="request_reference_unique"),
            models.CheckConstraint(
                condition=_ordered("request_outcome_on", "received_on"), name="request_outcome_after_received"
            ),
            models.CheckConstraint(
                condition=_ordered("assessment_outcome_on", "received_on"),
                name="request_assessment_outcome_after_received",
            ),
            models.CheckConstraint(
                condition=_ordered("draft_issued_on", "received_on"), name="request_draft_after_received"
            ),
            models.CheckConstraint(
                condition=_ordered("final_plan_issued_on", "draft_issued_on"), name="request_final_after_draft"
            ),
            models.CheckConstraint(
                condition=_ordered("final_plan_due_on", "decision_due_on"), name="request_due_dates_ordered"
            ),
        ]

    def __str__(self) -> str:
        return self.reference or f"Request {self.pk}"

    @property
    def status_enum(self) -> workflow.Status:
        return workflow.Status(self.status)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    @property
    def stage_label(self) -> str:
        return workflow.stage_label(self.status)

    def allowed_actions(self) -> list[workflow.Action]:
        return workflow.allowed_actions(
            self.status,
            has_active_exception=self.clock_exceptions.active().exists(),
            has_awaited_advice=self.advice_requests.awaited().exists(),
        )


# --- Provision evaluation ------------------------------------------------------------------------


class ProvisionEvaluation(models.Model):
    """The evaluation officer's checklist of the evidence (CoP 9.14) before the decision."""

    request = models.OneToOneField(AssessmentRequest, on_delete=models.CASCADE, related_name="evaluation")
    schools_views_received = models.BooleanField("school's views received", default=False)
    sen_support_plan = models.BooleanField("SEN support plan in place", default=False)
    apdr_cycles = models.PositiveSmallIntegerField("assess-plan-do-review cycles evidenced", default=0)
    provision_map = models.BooleanField(default=False)
    costed_provision = models.BooleanField("costed provision", default=False)
    progress_data = models.BooleanField("progress data", default=False)
    attainment_summary = models.TextField(blank=True)
    other_agencies = models.TextField("other agencies involved", blank=True)
    notes = models.TextField(blank=True)
    recommendation = models.CharField(max_length=20, choices=Recommendation.choices, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    completed_on = models.DateField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=_in("recommendation", Recommendation.values, blank=True),
                name="evaluation_recommendation_valid",
            ),
            # A completed evaluation carries its recommendation.
            models.CheckConstraint(
                condition=Q(completed_on__isnull=True) | ~Q(recommendation=""),
                name="evaluation_completed_has_recommendation",
            ),
        ]

    def __str__(self) -> str:
        return f"Evaluation for request {self.request_id}"


# --- Decisions -------------------------------------------------------------------------------


class AssessmentDecision(models.Model):
    """A decision at one of the two statutory decision points, with its reasons."""

    request = models.ForeignKey(AssessmentRequest, on_delete=models.CASCADE, related_name="decisions")
    stage = models.CharField(max_length=10, choices=DecisionStage.choices)
    outcome = models.CharField(max_length=10, choices=DecisionOutcome.choices)
    notified_on = models.DateField(help_text="The date the family was told")
    reasons = models.JSONField(default=list, blank=True, help_text="Reason codes (workflow.S36_*_REASONS)")
    reasons_text = models.TextField(blank=True)
    rights_text_sent = models.BooleanField("appeal, mediation and SENDIAS information sent", default=False)
    sen_support_advice = models.TextField("advice on meeting needs through SEN support", blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(default=timezone.now)
    # Set when the request is reopened: the decision stays on file but no longer stands.
    superseded = models.BooleanField(default=False)
    # A decision not to issue made without any advice sought (regs 6-8) records why the advice
    # was not needed: a code of workflow.ADVICE_NOT_SOUGHT_REASONS (reg 6(4)).
    advice_not_sought_reason = models.CharField(max_length=40, blank=True, db_default="")

    class Meta:
        ordering = ["decided_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=_in("stage", DecisionStage.values), name="decision_stage_valid"),
            models.CheckConstraint(
                condition=(
                    Q(stage=DecisionStage.ASSESS, outcome__in=[DecisionOutcome.ASSESS, DecisionOutcome.REFUSE])
                    | Q(stage=DecisionStage.ISSUE, outcome__in=[DecisionOutcome.ISSUE, DecisionOutcome.NOT_ISSUE])
                ),
                name="decision_outcome_matches_stage",
            ),
            # regs 5(3) and 10(3): a refusal or a decision not to issue carries the rights text.
            models.CheckConstraint(
                condition=~Q(outcome__in=[DecisionOutcome.REFUSE, DecisionOutcome.NOT_ISSUE])
                | Q(rights_text_sent=True),
                name="decision_refusal_sends_rights",
            ),
            models.UniqueConstraint(
                fields=["request", "stage"], condition=Q(superseded=False), name="one_standing_decision_per_stage"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} (request {self.request_id})"


# --- Advice ----------------------------------------------------------------------------------


class AdviceRequestQuerySet(models.QuerySet["AdviceRequest"]):
    def awaited(self) -> AdviceRequestQuerySet:
        """Advice neither received nor cancelled (whatever the request's status)."""
        return self.filter(received_on__isnull=True, cancelled_at__isnull=True)

    def outstanding(self) -> AdviceRequestQuerySet:
        """Advice awaited on requests still in progress (a cancelled request is not awaited)."""
        return self.awaited().filter(request__status__in=OPEN)

    def overdue(self, *, on: date) -> AdviceRequestQuerySet:
        return self.outstanding().filter(target_on__lt=on)

    def for_ep(self) -> AdviceRequestQuerySet:
        return self.filter(adviser_type=AdviserType.EDUCATIONAL_PSYCHOLOGY)

    def visible_to(self, user: Any) -> AdviceRequestQuerySet:
        """The SEN team sees every advice request; the EP service only the advice asked of it."""
        if user_can(user, Capability.REQUEST_VIEW):
            return self.all()
        if user_can(user, Capability.ADVICE_VIEW):
            return self.for_ep()
        return self.none()


class AdviceRequest(models.Model):
    """A request for advice under reg 6, due within 6 weeks (reg 8)."""

    request = models.ForeignKey(AssessmentRequest, on_delete=models.CASCADE, related_name="advice_requests")
    adviser_type = models.CharField(max_length=30, choices=AdviserType.choices)
    addressee = models.CharField(max_length=200, help_text="The service or person asked")
    requested_on = models.DateField()
    due_on = models.DateField()
    target_on = models.DateField()
    received_on = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    received_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Cancelled (asked of the wrong service, or no longer needed): kept on file, no longer awaited.
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cancelled_reason = models.TextField(blank=True, db_default="")

    objects = AdviceRequestQuerySet.as_manager()

    class Meta:
        ordering = ["requested_on", "pk"]
        indexes = [
            # The EP service's queue and the reg 8 timeliness report.
            models.Index(fields=["adviser_type", "received_on", "requested_on"], name="advice_queue"),
            # The monthly metrics: advice returned in a month, for any adviser type (docs/benchmarks.md).
            models.Index(fields=["received_on"], name="advice_received_on"),
        ]
        constraints = [
            models.CheckConstraint(condition=_in("adviser_type", AdviserType.values), name="advice_type_valid"),
            models.CheckConstraint(
                condition=_ordered("received_on", "requested_on"), name="advice_received_after_requested"
            ),
            models.CheckConstraint(condition=Q(target_on__gte=models.F("due_on")), name="advice_target_after_due"),
            models.CheckConstraint(
                condition=Q(cancelled_at__isnull=True) | ~Q(cancelled_reason=""), name="advice_cancel_has_reason"
            ),
            models.CheckConstraint(
                condition=Q(cancelled_at__isnull=True) | Q(received_on__isnull=True),
                name="advice_cancelled_not_received",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_adviser_type_display()} advice (request {self.request_id})"

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None


# --- Clock exceptions --------------------------------------------------------------------------


class ClockExceptionQuerySet(models.QuerySet["ClockException"]):
    def active(self) -> ClockExceptionQuerySet:
        """Only exceptions that have not been removed count towards any clock."""
        return self.filter(removed_at__isnull=True)

    def request_level(self) -> ClockExceptionQuerySet:
        return self.filter(advice_request__isnull=True)


class ClockException(models.Model):
    """A recorded period during which a time limit did not apply (regs 5(4), 8(2), 10(4), 13(3))."""

    request = models.ForeignKey(AssessmentRequest, on_delete=models.CASCADE, related_name="clock_exceptions")
    # Null: the exception is against the request's 6/16/20-week limits; else one advice deadline.
    advice_request = models.ForeignKey(
        AdviceRequest, on_delete=models.CASCADE, null=True, blank=True, related_name="clock_exceptions"
    )
    kind = models.CharField(max_length=30, choices=ExceptionKind.choices)
    start = models.DateField()
    end = models.DateField()
    evidence = models.TextField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    removed_reason = models.TextField(blank=True)

    objects = ClockExceptionQuerySet.as_manager()

    class Meta:
        ordering = ["start", "pk"]
        constraints = [
            models.CheckConstraint(condition=_in("kind", ExceptionKind.values), name="exception_kind_valid"),
            models.CheckConstraint(condition=Q(end__gte=models.F("start")), name="exception_end_after_start"),
            # CoP 9.42: an exception is recorded with its evidence.
            models.CheckConstraint(condition=~Q(evidence=""), name="exception_evidence_required"),
            models.CheckConstraint(
                condition=Q(removed_at__isnull=True) | ~Q(removed_reason=""),
                name="exception_removal_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.start:%d/%m/%Y}–{self.end:%d/%m/%Y}"

    @property
    def is_active(self) -> bool:
        return self.removed_at is None

    def as_period(self) -> clocks.ExceptionPeriod:
        return clocks.ExceptionPeriod(kind=clocks.ExceptionType(self.kind), start=self.start, end=self.end)


# --- Mediation and appeals (docs/domain.md §1.7; requests_app/disputes.py) ---------------------


def _labelled(enum_cls: Any, labels: dict[Any, str]) -> list[tuple[str, str]]:
    return [(member.value, labels[member]) for member in enum_cls]


DISPUTED_CHOICES = _labelled(disputes.Disputed, disputes.DISPUTED_LABELS)
MEDIATION_OUTCOME_CHOICES = _labelled(disputes.MediationOutcome, disputes.MEDIATION_OUTCOME_LABELS)
APPEAL_STATUS_CHOICES = [(status.value, status.value.capitalize()) for status in disputes.AppealStatus]
APPEAL_OUTCOME_CHOICES = _labelled(disputes.AppealOutcome, disputes.APPEAL_OUTCOME_LABELS)
ORDER_CHOICES = _labelled(disputes.OrderType, disputes.ORDER_LABELS)


class Mediation(models.Model):
    """Mediation about one decision on a request (regs 32-35): the adviser contacted, the
    certificate, the meeting and its outcome. SEN2 records whether a request, an assessment or
    another decision went to mediation."""

    request = models.ForeignKey(AssessmentRequest, on_delete=models.CASCADE, related_name="mediations")
    against = models.CharField("decision disputed", max_length=30, choices=DISPUTED_CHOICES)
    decision_letter_on = models.DateField("date of the decision letter")
    adviser_contacted_on = models.DateField("family contacted the mediation adviser on", null=True, blank=True)
    certificate_issued_on = models.DateField("mediation certificate issued on", null=True, blank=True)
    held_on = models.DateField("mediation held on", null=True, blank=True)
    outcome = models.CharField(max_length=20, choices=MEDIATION_OUTCOME_CHOICES, default="pending")
    # Null when an import wrote it (nobody recorded it here).
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    # Loaded from a SEN2 return's mediation flag (the return's census date): the file says only
    # that a mediation about the decision was held by then. The decision letter is dated with the
    # decision; when it was held is not recorded (``held_on`` stays empty), nor its outcome.
    imported_from_census = models.DateField("imported from the SEN2 return of", null=True, blank=True)

    class Meta:
        ordering = ["decision_letter_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=_in("against", [value for value, _ in DISPUTED_CHOICES]), name="mediation_against_valid"
            ),
            models.CheckConstraint(
                condition=_in("outcome", [value for value, _ in MEDIATION_OUTCOME_CHOICES]),
                name="mediation_outcome_valid",
            ),
            models.CheckConstraint(
                condition=_ordered("adviser_contacted_on", "decision_letter_on"), name="mediation_contact_after_letter"
            ),
            models.CheckConstraint(
                condition=_ordered("certificate_issued_on", "decision_letter_on"),
                name="mediation_certificate_after_letter",
            ),
            models.CheckConstraint(
                condition=_ordered("held_on", "decision_letter_on"), name="mediation_held_after_letter"
            ),
        ]

    def __str__(self) -> str:
        return f"Mediation on request {self.request_id} ({self.against})"

    @property
    def against_label(self) -> str:
        return disputes.DISPUTED_LABELS[disputes.Disputed(self.against)]

    @property
    def outcome_label(self) -> str:
        return disputes.MEDIATION_OUTCOME_LABELS[disputes.MediationOutcome(self.outcome)]

    @property
    def appeal_deadline(self) -> date:
        return disputes.appeal_deadline(self.decision_letter_on, self.certificate_issued_on)


class AppealQuerySet(models.QuerySet["Appeal"]):
    def open(self) -> AppealQuerySet:
        return self.filter(status__in=[s.value for s in disputes.AppealStatus if s.is_open])

    def awaiting_compliance(self) -> AppealQuerySet:
        return self.filter(status=disputes.AppealStatus.ORDERED)

    def overdue(self, *, on: date) -> AppealQuerySet:
        return self.awaiting_compliance().filter(compliance_due_on__lt=on)

    def visible_to(self, user: Any) -> AppealQuerySet:
        return self.filter(request__in=AssessmentRequest.objects.visible_to(user))


class Appeal(models.Model):
    """An appeal to the SEND Tribunal against a decision on the request, its outcome and, when
    the Tribunal orders the council to act (or the council concedes), the order and the stored
    deadline for complying with it (reg 44/45), indexed like every other clock."""

    request = models.ForeignKey(AssessmentRequest, on_delete=models.CASCADE, related_name="appeals")
    against = models.CharField("decision appealed", max_length=30, choices=DISPUTED_CHOICES)
    decision_letter_on = models.DateField("date of the decision letter")
    mediation = models.ForeignKey(Mediation, on_delete=models.PROTECT, null=True, blank=True, related_name="appeals")
    registered_on = models.DateField("registered by the Tribunal on")
    hearing_on = models.DateField("hearing date", null=True, blank=True)
    status = models.CharField(max_length=20, choices=APPEAL_STATUS_CHOICES, default="registered")
    outcome = models.CharField(max_length=20, choices=APPEAL_OUTCOME_CHOICES, blank=True)
    decided_on = models.DateField("decided on", null=True, blank=True)
    order_type = models.CharField("the order", max_length=20, choices=ORDER_CHOICES, blank=True)
    # reg 44: stored from the order's date by disputes.compliance_due_on, never counted.
    compliance_due_on = models.DateField(null=True, blank=True)
    complied_on = models.DateField(null=True, blank=True)
    # Null when an import wrote it (nobody recorded it here).
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    # Loaded from a SEN2 return's Tribunal flag (the return's census date): the file says only that
    # an appeal about the decision was registered by then. ``registered_on`` holds the decision's
    # date, the earliest it can have been (the field is required); the real date and the outcome
    # were not recorded, and the page says so.
    imported_from_census = models.DateField("imported from the SEN2 return of", null=True, blank=True)

    objects = AppealQuerySet.as_manager()

    class Meta:
        ordering = ["registered_on", "pk"]
        indexes = [
            # The orders awaiting compliance, soonest deadline first.
            models.Index(fields=["compliance_due_on"], name="appeal_compliance_due", condition=Q(status="ordered")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=_in("against", [value for value, _ in DISPUTED_CHOICES]), name="appeal_against_valid"
            ),
            models.CheckConstraint(
                condition=_in("status", [value for value, _ in APPEAL_STATUS_CHOICES]), name="appeal_status_valid"
            ),
            models.CheckConstraint(
                condition=_in("outcome", [value for value, _ in APPEAL_OUTCOME_CHOICES], blank=True),
                name="appeal_outcome_valid",
            ),
            models.CheckConstraint(
                condition=_in("order_type", [value for value, _ in ORDER_CHOICES], blank=True),
                name="appeal_order_valid",
            ),
            models.CheckConstraint(
                condition=_ordered("registered_on", "decision_letter_on"), name="appeal_registered_after_letter"
            ),
            models.CheckConstraint(
                condition=_ordered("decided_on", "registered_on"), name="appeal_decided_after_registered"
            ),
            models.CheckConstraint(condition=_ordered("complied_on", "decided_on"), name="appeal_complied_after_order"),
            # An order exists exactly when it has a deadline, and only on a decided appeal.
            models.CheckConstraint(
                condition=(Q(order_type="") & Q(compliance_due_on__isnull=True))
                | (~Q(order_type="") & Q(compliance_due_on__isnull=False) & Q(decided_on__isnull=False)),
                name="appeal_order_has_deadline",
            ),
            models.CheckConstraint(
                condition=~Q(status="ordered") | (~Q(order_type="") & Q(complied_on__isnull=True)),
                name="appeal_ordered_awaits_compliance",
            ),
            models.CheckConstraint(
                condition=~Q(status="registered") | (Q(outcome="") & Q(decided_on__isnull=True)),
                name="appeal_registered_undecided",
            ),
        ]

    def __str__(self) -> str:
        return f"Appeal on request {self.request_id} ({self.against})"

    @property
    def against_label(self) -> str:
        return disputes.DISPUTED_LABELS[disputes.Disputed(self.against)]

    @property
    def outcome_label(self) -> str:
        return disputes.APPEAL_OUTCOME_LABELS[disputes.AppealOutcome(self.outcome)] if self.outcome else ""

    @property
    def order_label(self) -> str:
        return disputes.ORDER_LABELS[disputes.OrderType(self.order_type)] if self.order_type else ""

    @property
    def is_open(self) -> bool:
        return disputes.AppealStatus(self.status).is_open

    def steps(self) -> list[disputes.Step]:
        if not self.order_type or self.decided_on is None:
            return []
        return disputes.order_steps(self.order_type, self.decided_on)


# --- Events ------------------------------------------------------------------------------------


class RequestEvent(AppendOnlyModel):
    """Append-only: one row per change to a request, written in the change's transaction.

    The audit trail, the timeline officers read, and the source for statistics. ``payload``
    holds ids, codes and dates (never names) plus a snapshot of the clocks after the change;
    ``note`` holds the officer's free-text reason where an action asks for one.
    """

    request = models.ForeignKey(AssessmentRequest, on_delete=models.CASCADE, related_name="events")
    # Null: the system or the importer.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=30, choices=EventActionChoice.choices)
    from_status = models.CharField(max_length=30, choices=RequestStatus.choices, blank=True)
    to_status = models.CharField(max_length=30, choices=RequestStatus.choices, blank=True)
    occurred_at = models.DateTimeField(default=timezone.now)
    payload = models.JSONField(default=dict, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["occurred_at", "pk"]
        indexes = [models.Index(fields=["request", "occurred_at"], name="event_request_occurred")]
        constraints = [
            models.CheckConstraint(condition=_in("action", EventActionChoice.values), name="event_action_valid"),
            models.CheckConstraint(
                condition=_in("from_status", RequestStatus.values, blank=True), name="event_from_status_valid"
            ),
            models.CheckConstraint(
                condition=_in("to_status", RequestStatus.values, blank=True), name="event_to_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.action} (request {self.request_id}) at {self.occurred_at:%Y-%m-%d %H:%M}"

    @property
    def action_label(self) -> str:
        return workflow.EVENT_ACTION_LABELS.get(self.action, self.action)


# --- Data protection: subject access requests and the retention schedule (issue 14) ---------------


class SubjectAccessStatus(models.TextChoices):
    QUEUED = "queued", "Waiting to start"
    RUNNING = "running", "Being prepared"
    READY = "ready", "Ready to download"
    FAILED = "failed", "Failed"


class SubjectAccessRequest(models.Model):
    """One subject access request (UK GDPR Art. 15) for a child: the ZIP of everything held,
    built by a Celery job (requests_app/services/subject_access.py). The law gives one calendar
    month from the day it is received (day 1), extendable by two months for complex requests."""

    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="subject_access_requests")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    received_on = models.DateField()
    due_on = models.DateField()
    status = models.CharField(max_length=10, choices=SubjectAccessStatus.choices, default=SubjectAccessStatus.QUEUED)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    archive = models.CharField(max_length=200, blank=True)  # name in the default storage
    archive_bytes = models.BigIntegerField(null=True, blank=True)
    archive_sha256 = models.CharField(max_length=64, blank=True)
    manifest = models.JSONField(default=dict, blank=True)
    error = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=_in("status", SubjectAccessStatus.values), name="sar_status_valid"),
            models.CheckConstraint(
                condition=~Q(status=SubjectAccessStatus.READY) | ~Q(archive=""), name="sar_ready_has_archive"
            ),
            models.CheckConstraint(condition=Q(due_on__gte=models.F("received_on")), name="sar_due_after_received"),
        ]

    def __str__(self) -> str:
        return f"Subject access request {self.pk} (child {self.child_id})"


class RetentionRunStatus(models.TextChoices):
    AWAITING_APPROVAL = "awaiting", "Awaiting approval"
    APPROVED = "approved", "Approved, being applied"
    DONE = "done", "Applied"
    SUPERSEDED = "superseded", "Replaced by a later list"


class RetentionRun(models.Model):
    """What the retention schedule says is due on one day (the nightly job's list). Nothing is
    removed until an administrator approves it; applying it re-checks every legal hold."""

    as_of = models.DateField(unique=True)
    listed_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(
        max_length=10, choices=RetentionRunStatus.choices, default=RetentionRunStatus.AWAITING_APPROVAL
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    access_log_cutoff = models.DateTimeField()
    access_log_due = models.PositiveIntegerField(default=0)
    access_log_erased = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-as_of"]
        constraints = [
            models.CheckConstraint(condition=_in("status", RetentionRunStatus.values), name="retention_status_valid"),
            models.CheckConstraint(
                condition=Q(status=RetentionRunStatus.AWAITING_APPROVAL)
                | Q(status=RetentionRunStatus.SUPERSEDED)
                | Q(approved_by__isnull=False, approved_at__isnull=False),
                name="retention_approved_has_approver",
            ),
        ]

    def __str__(self) -> str:
        return f"Retention list for {self.as_of:%Y-%m-%d}"


class RetentionItem(models.Model):
    """One child's case file on a retention list."""

    run = models.ForeignKey(RetentionRun, on_delete=models.CASCADE, related_name="items")
    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="+")
    record_class = models.CharField(max_length=30)  # a key of settings.RETENTION_SCHEDULE
    due_on = models.DateField()
    action = models.CharField(max_length=10)  # "anonymise"
    held = models.BooleanField(default=False)  # under legal hold when listed (or when applied)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["run", "child", "record_class"], name="retention_item_unique"),
            models.CheckConstraint(condition=Q(done_at__isnull=True) | Q(held=False), name="retention_held_not_done"),
        ]

    def __str__(self) -> str:
        return f"{self.record_class} of child {self.child_id} due {self.due_on:%Y-%m-%d}"


# --- The case file: people, letters and messages (issue 13) --------------------------------------
# Defined in their own module so this file stays readable; imported here to register them.
from requests_app.people_models import (  # noqa: E402, F401
    Contact,
    Letter,
    LetterTemplate,
    OfficerDigest,
    OutboundMessage,
)

# --- Case notes and contact log (issue 13, notes; rules in requests_app/contact_log.py) --------

NOTE_KIND_CHOICES = _labelled(contact_log.Kind, contact_log.KIND_LABELS)
NOTE_PARTY_CHOICES = _labelled(contact_log.Party, contact_log.PARTY_LABELS)
NOTE_DIRECTION_CHOICES = _labelled(contact_log.Direction, contact_log.DIRECTION_LABELS)


class CaseNoteQuerySet(models.QuerySet["CaseNote"]):
    def visible_to(self, user: Any) -> CaseNoteQuerySet:
        """Notes follow their request: whoever may open the request reads its notes (a head
        teacher on the panel, the EP service and finance never may)."""
        return self.filter(request__in=AssessmentRequest.objects.visible_to(user))


class CaseNote(models.Model):
    """One entry in a request's contact log: a phone call, meeting, email or letter with the
    family or a professional, or a plain case note. Never edited: a mistake is put right by a
    later entry, so the log stays what was recorded when."""

    request = models.ForeignKey(AssessmentRequest, on_delete=models.CASCADE, related_name="notes")
    kind = models.CharField(max_length=20, choices=NOTE_KIND_CHOICES)
    happened_on = models.DateField("date it happened")
    with_whom = models.CharField("who it was with", max_length=contact_log.WITH_WHOM_MAX, blank=True)
    party = models.CharField("kind of contact", max_length=20, choices=NOTE_PARTY_CHOICES, blank=True)
    direction = models.CharField(max_length=3, choices=NOTE_DIRECTION_CHOICES, blank=True)
    summary = models.CharField(max_length=contact_log.SUMMARY_MAX)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = CaseNoteQuerySet.as_manager()

    class Meta:
        ordering = ["-happened_on", "-recorded_at", "-pk"]
        indexes = [models.Index(fields=["request", "happened_on"], name="casenote_request_happened")]
        constraints = [
            models.CheckConstraint(
                condition=_in("kind", [value for value, _ in NOTE_KIND_CHOICES]), name="casenote_kind_valid"
            ),
            models.CheckConstraint(
                condition=_in("party", [value for value, _ in NOTE_PARTY_CHOICES], blank=True),
                name="casenote_party_valid",
            ),
            models.CheckConstraint(
                condition=_in("direction", [value for value, _ in NOTE_DIRECTION_CHOICES], blank=True),
                name="casenote_direction_valid",
            ),
            models.CheckConstraint(condition=~Q(summary=""), name="casenote_summary_required"),
            # A contact names who with, the kind of party and the direction; a case note none.
            models.CheckConstraint(
                condition=(Q(kind=contact_log.Kind.NOTE.value) & Q(party="", direction="", with_whom=""))
                | (~Q(kind=contact_log.Kind.NOTE.value) & ~Q(party="") & ~Q(direction="") & ~Q(with_whom="")),
                name="casenote_contact_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.happened_on:%Y-%m-%d} (request {self.request_id})"


# --- SEN2 return: settings named in the plan and attended (docs/sen2.md) -------------------------


class PlanPlacement(models.Model):
    """A setting named in section I of the plan (SEN2 PlanDetail) and/or attended (SEN2
    PlacementDetail): an establishment (URN, or UKPRN for post-16) or, with none, a SEN2 setting
    code (EHE, OLA, NEET...). Rank 1 is the main setting, 2 the second of a dual placement."""

    request = models.ForeignKey(AssessmentRequest, on_delete=models.CASCADE, related_name="plan_placements")
    establishment = models.ForeignKey(Establishment, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    sen_setting = models.CharField("setting type", max_length=4, blank=True, default="")
    sen_setting_other = models.CharField("other setting", max_length=200, blank=True, default="")
    rank = models.PositiveSmallIntegerField(default=1)
    named_in_plan = models.BooleanField(default=True)
    entry_on = models.DateField("started on", null=True, blank=True)
    leaving_on = models.DateField("left on", null=True, blank=True)
    sen_unit = models.BooleanField("place in an SEN unit", default=False)
    resourced_provision = models.BooleanField("place in resourced provision", default=False)

    class Meta:
        ordering = ["request", "rank", "entry_on", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(rank__in=[1, 2]), name="plan_placement_rank_1_or_2"),
            models.CheckConstraint(
                condition=Q(establishment__isnull=False, sen_setting="")
                | Q(establishment__isnull=True) & ~Q(sen_setting=""),
                name="plan_placement_establishment_or_setting",
            ),
            models.CheckConstraint(
                condition=_ordered("leaving_on", "entry_on"), name="plan_placement_left_after_entry"
            ),
        ]

    def __str__(self) -> str:
        return f"Placement rank {self.rank} (request {self.request_id})"
