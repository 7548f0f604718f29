"""Reference data shared by every app, the access log, and the base of append-only records."""

from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.db.models import F, Q

# --- Append-only records ---------------------------------------------------------------------------


class AppendOnlyError(ValueError):
    """An attempt to change or delete a row of an append-only record."""


def _refuse(model: type[models.Model]) -> NoReturn:
    raise AppendOnlyError(f"{str(model._meta.verbose_name_plural).capitalize()} are append-only and cannot be changed")


class AppendOnlyQuerySet(models.QuerySet[Any]):
    """Refuses bulk changes: ``update()`` and ``delete()`` would rewrite the evidence. (Deleting
    the record a trail belongs to still takes its rows with it: Django's cascade deletes in SQL,
    not through this method.)"""

    def update(self, **kwargs: Any) -> NoReturn:
        _refuse(self.model)

    def delete(self) -> NoReturn:
        _refuse(self.model)

    def redact_for_retention(self, **values: str) -> int:
        """The one change a trail allows: blanking its free text when the retention schedule
        anonymises the child it is about (``requests_app.services.retention``). Only text is
        replaced; who did what, and when, stays."""
        for name, value in values.items():
            field = self.model._meta.get_field(name)
            if not isinstance(field, (models.TextField, models.CharField)) or not isinstance(value, str):
                raise AppendOnlyError(f"{self.model.__name__}.{name}: only free text is redacted")
        return super().update(**values)


class AppendOnlyModel(models.Model):
    """The base of every event trail (requests, panels, placements) and of other records kept
    as evidence (negotiation rounds): a row is written once and never changed or deleted, one
    at a time or in bulk. A correction is a new row."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            _refuse(type(self))
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        _refuse(type(self))


# --- Reference data --------------------------------------------------------------------------------


class NeedType(models.TextChoices):
    """Primary/secondary SEN type as in the school census and SEN2 (`sentype`)."""

    SPLD = "SPLD", "Specific learning difficulty"
    MLD = "MLD", "Moderate learning difficulty"
    SLD = "SLD", "Severe learning difficulty"
    PMLD = "PMLD", "Profound and multiple learning difficulty"
    SEMH = "SEMH", "Social, emotional and mental health"
    SLCN = "SLCN", "Speech, language and communication needs"
    HI = "HI", "Hearing impairment"
    VI = "VI", "Vision impairment"
    MSI = "MSI", "Multi-sensory impairment"
    PD = "PD", "Physical disability"
    ASD = "ASD", "Autistic spectrum disorder"
    DS = "DS", "Down syndrome"
    OTH = "OTH", "Other difficulty"


class District(models.Model):
    name = models.CharField(max_length=60, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class EstablishmentType(models.TextChoices):
    """Establishment groups as SEN2 publishes them (docs/domain.md §2.2)."""

    MAINSTREAM_MAINTAINED = "mainstream_maintained", "Mainstream school – LA maintained"
    MAINSTREAM_ACADEMY = "mainstream_academy", "Mainstream school – academy or free school"
    MAINSTREAM_INDEPENDENT = "mainstream_independent", "Mainstream school – independent"
    SPECIAL_MAINTAINED = "special_maintained", "Special school – LA maintained"
    SPECIAL_ACADEMY = "special_academy", "Special school – academy or free school"
    NON_MAINTAINED_SPECIAL = "non_maintained_special", "Non-maintained special school"
    INDEPENDENT_SPECIAL = "independent_special", "Independent special school"
    ALTERNATIVE_PROVISION = "alternative_provision", "Alternative provision or PRU"
    FURTHER_EDUCATION = "further_education", "General FE or sixth-form college"
    SPECIALIST_POST16 = "specialist_post16", "Specialist post-16 institution"
    EARLY_YEARS = "early_years", "Early years setting"
    # Universities, secure units, Welsh and overseas schools, online providers…: loaded from GIAS
    # so an old record's URN resolves, never a placement type of their own (core/gias.py).
    OTHER = "other", "Other establishment"

    @classmethod
    def independent_or_non_maintained(cls) -> list[str]:
        """The INMSS commissioning category, plus specialist post-16 providers."""
        return [cls.INDEPENDENT_SPECIAL, cls.NON_MAINTAINED_SPECIAL, cls.SPECIALIST_POST16]

    @classmethod
    def special(cls) -> list[str]:
        return [cls.SPECIAL_MAINTAINED, cls.SPECIAL_ACADEMY, cls.NON_MAINTAINED_SPECIAL, cls.INDEPENDENT_SPECIAL]


class Phase(models.TextChoices):
    EARLY_YEARS = "early_years", "Early years"
    PRIMARY = "primary", "Primary"
    SECONDARY = "secondary", "Secondary"
    ALL_THROUGH = "all_through", "All-through"
    POST_16 = "post_16", "16 plus"
    NOT_APPLICABLE = "not_applicable", "Not applicable"  # GIAS phase 0: many special schools


class EstablishmentStatus(models.TextChoices):
    """GIAS ``EstablishmentStatus``. Open and "open, but proposed to close" can take a child."""

    OPEN = "open", "Open"
    OPEN_CLOSING = "open_closing", "Open, but proposed to close"
    CLOSED = "closed", "Closed"
    PROPOSED = "proposed", "Proposed to open"


class OfstedGrade(models.TextChoices):
    """Ofsted's overall effectiveness grade at the latest full inspection (GIAS
    ``OfstedRating (name)``; its "Serious Weaknesses" and "Special Measures" are both
    inadequate). Blank: not known, or not inspected by Ofsted."""

    OUTSTANDING = "outstanding", "Outstanding"
    GOOD = "good", "Good"
    REQUIRES_IMPROVEMENT = "requires_improvement", "Requires improvement"
    INADEQUATE = "inadequate", "Inadequate"


class Council(models.Model):
    """The council this installation serves: one row, set by an administrator (the admin or
    ``manage.py set_council``). Its LA number names it in the SEN2 return and picks its own
    establishments out of the national GIAS file."""

    singleton = models.BooleanField(default=True, unique=True, editable=False)
    name = models.CharField(max_length=120)
    la_number = models.CharField(
        "LA number", max_length=3, help_text="DfE's 3-digit local authority number, for example 886 for Kent"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(singleton=True), name="council_single_row"),
            models.CheckConstraint(condition=Q(la_number__regex=r"^[0-9]{3}$"), name="council_la_number_3_digits"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.la_number})"


class EstablishmentQuerySet(models.QuerySet["Establishment"]):
    def open(self) -> EstablishmentQuerySet:
        return self.filter(is_open=True)

    def independent_or_non_maintained(self) -> EstablishmentQuerySet:
        return self.filter(type_group__in=EstablishmentType.independent_or_non_maintained())


class Establishment(models.Model):
    """A school, college or setting, as in Get Information About Schools (GIAS)."""

    urn = models.PositiveIntegerField("URN", unique=True, help_text="GIAS Unique Reference Number")
    name = models.CharField(max_length=200)
    type_group = models.CharField("type", max_length=40, choices=EstablishmentType.choices)
    phase = models.CharField(max_length=20, choices=Phase.choices)
    district = models.ForeignKey(
        District, on_delete=models.PROTECT, related_name="establishments", null=True, blank=True
    )
    s41_approved = models.BooleanField("on the s.41 approved list", default=False)
    # Offered for new records only while open; a closed establishment stays on old records.
    is_open = models.BooleanField("open", default=True)
    # From the GIAS download (core/gias.py); blank for establishments entered by hand.
    status = models.CharField(max_length=20, choices=EstablishmentStatus.choices, default=EstablishmentStatus.OPEN)
    la_code = models.CharField("LA code", max_length=3, blank=True)
    gias_type_code = models.PositiveSmallIntegerField("GIAS type of establishment", null=True, blank=True)
    ukprn = models.PositiveIntegerField("UKPRN", null=True, blank=True, help_text="UK Provider Reference Number")
    postcode = models.CharField(max_length=10, blank=True)
    opened_on = models.DateField(null=True, blank=True)
    closed_on = models.DateField(null=True, blank=True)
    sen_provision = models.CharField(
        "SEN provision types", max_length=80, blank=True, help_text="SEN2 need codes, comma-separated (GIAS SEN1–SEN13)"
    )
    has_sen_unit = models.BooleanField("has an SEN unit", default=False)
    has_resourced_provision = models.BooleanField("has resourced provision", default=False)
    # The latest Ofsted inspection (GIAS ``OfstedRating (name)`` and ``OfstedLastInsp`` in files
    # before April 2025; recorded by the placements team since). Blank and empty: not known.
    ofsted_grade = models.CharField("Ofsted grade", max_length=30, choices=OfstedGrade.choices, blank=True)
    ofsted_inspected_on = models.DateField("date of the latest Ofsted inspection", null=True, blank=True)

    objects = EstablishmentQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(type_group__in=EstablishmentType.values), name="establishment_type_valid"
            ),
            models.CheckConstraint(condition=Q(phase__in=Phase.values), name="establishment_phase_valid"),
            models.CheckConstraint(
                condition=Q(status__in=EstablishmentStatus.values), name="establishment_status_valid"
            ),
            # Open for new records exactly when GIAS says it can take a child.
            models.CheckConstraint(
                condition=Q(is_open=True, status__in=["open", "open_closing"])
                | Q(is_open=False, status__in=["closed", "proposed"]),
                name="establishment_open_matches_status",
            ),
            models.CheckConstraint(
                condition=Q(closed_on__isnull=True) | Q(opened_on__isnull=True) | Q(closed_on__gte=F("opened_on")),
                name="establishment_closed_after_opened",
            ),
            models.CheckConstraint(
                condition=Q(ofsted_grade__in=[*OfstedGrade.values, ""]), name="establishment_ofsted_grade_valid"
            ),
            # A grade is the outcome of an inspection on a day: both or neither.
            models.CheckConstraint(
                condition=Q(ofsted_grade="", ofsted_inspected_on__isnull=True)
                | (~Q(ofsted_grade="") & Q(ofsted_inspected_on__isnull=False)),
                name="establishment_ofsted_grade_dated",
            ),
        ]
        indexes = [models.Index(fields=["ukprn"], name="establishment_ukprn")]

    def __str__(self) -> str:
        return self.name


class AccessAction(models.TextChoices):
    VIEW = "view", "Viewed"
    LIST = "list", "Listed"
    EXPORT = "export", "Exported"
    PRINT = "print", "Printed"
    DOWNLOAD = "download", "Downloaded"
    ERASE = "erase", "Erased under the retention schedule"
    # Security events, named after the OWASP logging vocabulary (authn_*, authz_*).
    SIGNIN_SUCCESS = "authn_login_success", "Signed in"
    SIGNIN_FAILURE = "authn_login_fail", "Sign-in refused"
    SIGNOUT = "authn_logout", "Signed out"
    REAUTH_SUCCESS = "authn_reauth_success", "Confirmed their password again"
    MFA_SUCCESS = "authn_mfa_success", "Second factor accepted"
    MFA_FAILURE = "authn_mfa_fail", "Second factor refused"
    MFA_RESET = "authn_mfa_reset", "Second factor reset"
    TOKEN_CREATED = "authn_token_created", "API token issued"
    TOKEN_REVOKED = "authn_token_revoked", "API token revoked"
    AUTHZ_FAILURE = "authz_fail", "Refused: not permitted"
    PRIVILEGE_CHANGED = "privilege_permissions_changed", "Superuser or staff status changed"


# Actions that are security events rather than reads of a child's record.
SECURITY_ACTIONS: frozenset[str] = frozenset(
    action.value for action in AccessAction if action.value.startswith(("authn_", "authz_", "privilege_"))
)


class AccessLogQuerySet(AppendOnlyQuerySet):
    """Append-only (``update()``/``delete()`` refused here, and by a trigger in PostgreSQL);
    only ``core.access.erase_access_log_before`` removes rows past their retention."""

    def reads(self) -> AccessLogQuerySet:
        """Rows recording somebody reading (viewing, listing, exporting) a child's data."""
        return self.exclude(action__in=SECURITY_ACTIONS)

    def security_events(self) -> AccessLogQuerySet:
        return self.filter(action__in=SECURITY_ACTIONS)


class AccessLog(models.Model):
    """Who viewed which child's record, when: written in the same transaction as the read.
    Security events (sign-in, second factor, refusals) are rows here too (``SECURITY_ACTIONS``).

    ``child_id`` is a plain number (core sits below the apps and cannot point at their models);
    ``object_type``/``object_id`` name the record opened (a request, a panel pack, a contract).
    ``address``, ``roles`` and ``request_id`` are copied from the request when the row is written
    (``core.access``), so the row still says what the person was at the time; ``reason`` is a
    short code (``throttled``, ``bad_password``, ``permission_denied``...). ``user`` is empty only
    for a failed sign-in to an account that does not exist.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    at = models.DateTimeField(db_index=False)
    action = models.CharField(max_length=30, choices=AccessAction.choices)
    child_id = models.BigIntegerField(null=True, blank=True)
    object_type = models.CharField(max_length=40, blank=True)
    object_id = models.BigIntegerField(null=True, blank=True)
    path = models.CharField(max_length=300, blank=True)
    address = models.CharField(max_length=100, blank=True, default="", db_default="")
    roles = models.CharField(max_length=300, blank=True, default="", db_default="")
    request_id = models.CharField(max_length=64, blank=True, default="", db_default="")
    reason = models.CharField(max_length=40, blank=True, default="", db_default="")

    objects = AccessLogQuerySet.as_manager()

    class Meta:
        ordering = ["-at"]
        indexes = [
            # "Who viewed child X" (the DPO's question) and "what did user Y open".
            models.Index(fields=["child_id", "at"], name="accesslog_child_at"),
            models.Index(fields=["user", "at"], name="accesslog_user_at"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(action__in=AccessAction.values), name="accesslog_action_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.action} {self.object_type} {self.object_id} at {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            _refuse(type(self))
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        _refuse(type(self))


class StaffProfile(models.Model):
    """What the service knows about a member of staff beyond their sign-in and roles."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile")
    job_title = models.CharField(max_length=100, blank=True)
    phone = models.CharField(max_length=30, blank=True)

    def __str__(self) -> str:
        return f"{self.user} ({self.job_title})" if self.job_title else str(self.user)


class SignInThrottle(models.Model):
    """Sign-in attempts counted per account and per client address (core.signin).

    Kept in the database, not the cache, so a Redis outage does not switch the limit off, and
    locked row by row so parallel attempts cannot race past it (docs/architecture.md §8.3)."""

    key = models.CharField(max_length=200, unique=True)  # "account:<username>" or "address:<ip>"
    window_started_at = models.DateTimeField()
    attempts = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(attempts__gte=0), name="signin_attempts_not_negative")]

    def __str__(self) -> str:
        return f"{self.key}: {self.attempts} since {self.window_started_at:%Y-%m-%d %H:%M}"


class JobLock(models.Model):
    """A running job's claim (core/joblock.py): one row per job name while it runs, so a second
    copy of a scheduled report job never runs alongside the first. ``expires_at`` frees the
    claim of a worker killed mid-job once the job's own time limit has passed."""

    name = models.CharField(max_length=100, primary_key=True)
    holder = models.CharField(max_length=64)
    acquired_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(expires_at__gt=F("acquired_at")), name="joblock_expires_after_acquired")
        ]

    def __str__(self) -> str:
        return f"{self.name} (until {self.expires_at:%Y-%m-%d %H:%M})"


class StaleMonth(models.Model):
    """A calendar month whose stored figures no longer match the case data (core/staleness.py).

    Any service that changes a dated fact (a decision, a plan, an exception, a correction, an
    import) marks the months the old and new dates fall in; the reporting jobs recompute them and
    clear the mark only if nothing marked the month again while they ran."""

    month = models.DateField(unique=True, help_text="The first day of the month")
    marked_at = models.DateTimeField(help_text="When the month was last marked stale")
    reason = models.CharField(max_length=200, help_text="The latest change that marked it")

    class Meta:
        ordering = ["month"]
        constraints = [models.CheckConstraint(condition=Q(month__day=1), name="stalemonth_first_of_month")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} stale since {self.marked_at:%Y-%m-%d %H:%M} ({self.reason})"


# --- Documents (issue 13: the case file; docs/decisions/0008-documents.md) --------------------------


class DocumentType(models.TextChoices):
    """The kinds of paper an SEN team files on a case."""

    REQUEST_LETTER = "request_letter", "Request letter (parent, young person or school)"
    SCHOOL_EVIDENCE = "school_evidence", "School or setting evidence"
    EP_ADVICE = "ep_advice", "Educational psychology advice"
    HEALTH_ADVICE = "health_advice", "Health advice"
    SOCIAL_CARE_ADVICE = "social_care_advice", "Social care advice"
    PARENT_VIEWS = "parent_views", "Parent or young person's views"
    OTHER_ADVICE = "other_advice", "Other advice"
    DRAFT_PLAN = "draft_plan", "Draft EHC plan"
    FINAL_PLAN = "final_plan", "Final EHC plan"
    ANNUAL_REVIEW = "annual_review", "Annual review"
    PANEL_PAPER = "panel_paper", "Panel paper"
    CONTRACT = "contract", "Contract or placement agreement"
    PROVIDER_QUOTE = "provider_quote", "Provider's quote or invoice"
    CORRESPONDENCE = "correspondence", "Correspondence"
    OTHER = "other", "Other"


class ScanState(models.TextChoices):
    """pending -> clean | infected, or not_scanned when no scanner is configured."""

    PENDING = "pending", "Being checked for viruses"
    CLEAN = "clean", "Checked: no virus found"
    INFECTED = "infected", "Quarantined: a virus was found"
    NOT_SCANNED = "not_scanned", "Not scanned (no virus scanner configured)"


class Document(models.Model):
    """A file on a case, owned by exactly one record named by ``owner_kind`` and ``owner_id``.

    Core sits below the apps and cannot point at their tables, so the owner is an explicit kind
    (registered by its app with a policy: who may list, upload and download) and an id, not a
    generic relation; ``child_id`` is copied from the owner for the access log. The file itself
    is in the documents storage under ``storage_key`` (random, never the uploaded name)."""

    owner_kind = models.CharField(max_length=30)
    owner_id = models.BigIntegerField()
    child_id = models.BigIntegerField(null=True, blank=True)
    doc_type = models.CharField("type", max_length=30, choices=DocumentType.choices)
    document_date = models.DateField(help_text="The date on the document (or when it was received)")
    supplied_by = models.CharField(max_length=200, help_text="Who supplied it: a person, a service or a school")
    description = models.CharField(max_length=200, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField()
    original_filename = models.CharField(max_length=120, help_text="The uploaded name, made safe")
    content_type = models.CharField(max_length=100, help_text="From the file's content, not the browser's word")
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    storage_key = models.CharField(max_length=100, unique=True)
    scan_state = models.CharField(max_length=20, choices=ScanState.choices, default=ScanState.PENDING)
    scanned_at = models.DateTimeField(null=True, blank=True)
    scan_result = models.CharField(max_length=200, blank=True, help_text="The signature found, if any")

    class Meta:
        ordering = ["-document_date", "-pk"]
        indexes = [models.Index(fields=["owner_kind", "owner_id"], name="document_owner")]
        constraints = [
            models.CheckConstraint(condition=Q(doc_type__in=DocumentType.values), name="document_type_valid"),
            models.CheckConstraint(condition=Q(scan_state__in=ScanState.values), name="document_scan_state_valid"),
            models.CheckConstraint(condition=Q(size__gt=0), name="document_size_positive"),
            models.CheckConstraint(condition=Q(sha256__regex=r"^[0-9a-f]{64}$"), name="document_sha256_hex"),
            models.CheckConstraint(
                condition=Q(scan_state__in=["pending", "not_scanned"]) | Q(scanned_at__isnull=False),
                name="document_scanned_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_doc_type_display()} ({self.owner_kind} {self.owner_id})"
