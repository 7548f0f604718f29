"""Reference data shared by every app, and the access log."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


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
    is_open = models.BooleanField("open", default=True)

    objects = EstablishmentQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(type_group__in=EstablishmentType.values), name="establishment_type_valid"
            ),
            models.CheckConstraint(condition=Q(phase__in=Phase.values), name="establishment_phase_valid"),
        ]

    def __str__(self) -> str:
        return self.name


class AccessAction(models.TextChoices):
    VIEW = "view", "Viewed"
    LIST = "list", "Listed"
    EXPORT = "export", "Exported"
    PRINT = "print", "Printed"


class AccessLog(models.Model):
    """Who viewed which child's record, when: written in the same transaction as the read.

    ``child_id`` is a plain number (core sits below the apps and cannot point at their models);
    ``object_type``/``object_id`` name the record opened (a request, a panel pack, a contract).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(db_index=False)
    action = models.CharField(max_length=10, choices=AccessAction.choices)
    child_id = models.BigIntegerField(null=True, blank=True)
    object_type = models.CharField(max_length=40)
    object_id = models.BigIntegerField(null=True, blank=True)
    path = models.CharField(max_length=300, blank=True)

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
