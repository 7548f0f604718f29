"""The triage queue's filters, shared by the queue page and the request API (one code path)."""

from __future__ import annotations

from datetime import date
from typing import Any

import django_filters
from django.contrib.auth.models import User
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from requests_app import workflow
from requests_app.models import AssessmentRequest, RequestSource, RequestStatus
from senportal.core.models import District, NeedType
from senportal.core.roles import Role

AGE_BANDS: dict[str, tuple[int, int | None]] = {
    "0-4": (0, 4),
    "5-10": (5, 10),
    "11-15": (11, 15),
    "16-19": (16, 19),
    "20-25": (20, 25),
}
AGE_BAND_CHOICES = [(key, f"Aged {key.replace('-', ' to ')}") for key in AGE_BANDS]
STAGE_CHOICES = [(s.value, workflow.stage_label(s)) for s in workflow.Status]
ORDERING_CHOICES = [
    ("next_deadline_on", "Next deadline, soonest first"),
    ("-received_on", "Received, newest first"),
    ("received_on", "Received, oldest first"),
    ("child__surname", "Surname, A to Z"),
]


def _subtract_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a non-leap year
        return day.replace(year=day.year - years, day=28)


def officers(request: Any = None) -> QuerySet[User]:
    return User.objects.filter(groups__name=Role.SEN_OFFICER.value, is_active=True).order_by("first_name", "last_name")


class RequestFilter(django_filters.FilterSet):
    """Filters for the triage queue. ``today`` can be fixed for tests and reports."""

    q = django_filters.CharFilter(method="filter_search", label="Name, UPN or reference", max_length=100)
    status = django_filters.MultipleChoiceFilter(choices=RequestStatus.choices, label="Stage")
    open = django_filters.BooleanFilter(method="filter_open", label="Open requests only")
    assigned_officer = django_filters.ModelChoiceFilter(queryset=officers, label="Officer")
    unassigned = django_filters.BooleanFilter(method="filter_unassigned", label="Unassigned only")
    district = django_filters.ModelChoiceFilter(field_name="child__district", queryset=District.objects.all())
    source = django_filters.ChoiceFilter(choices=RequestSource.choices, label="Who asked")
    need = django_filters.ChoiceFilter(field_name="child__primary_need", choices=NeedType.choices, label="Primary need")
    age = django_filters.ChoiceFilter(choices=AGE_BAND_CHOICES, method="filter_age", label="Age")
    overdue = django_filters.BooleanFilter(method="filter_overdue", label="Overdue only")
    due_within = django_filters.NumberFilter(
        method="filter_due_within", label="Due within (days)", min_value=0, max_value=366
    )
    reference = django_filters.CharFilter(field_name="reference", lookup_expr="iexact", max_length=30)
    received_from = django_filters.DateFilter(field_name="received_on", lookup_expr="gte")
    received_to = django_filters.DateFilter(field_name="received_on", lookup_expr="lte")
    ordering = django_filters.ChoiceFilter(
        choices=ORDERING_CHOICES, method="filter_ordering", label="Sort by", empty_label=None
    )

    class Meta:
        model = AssessmentRequest
        fields: list[str] = []

    def __init__(self, *args: Any, today: date | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.today = today or timezone.localdate()

    @property
    def qs(self) -> QuerySet[AssessmentRequest]:
        queryset = super().qs
        if not (self.form.is_bound and self.form.is_valid() and self.form.cleaned_data.get("ordering")):
            queryset = queryset.order_by(F("next_deadline_on").asc(nulls_last=True), "received_on", "pk")
        return queryset

    def filter_search(
        self, queryset: QuerySet[AssessmentRequest], name: str, value: str
    ) -> QuerySet[AssessmentRequest]:
        """A reference or UPN exactly; a name by its start ("sam", "sam hol" for Sam Holden)."""
        value = value.strip()
        if not value:
            return queryset
        condition = Q(reference__iexact=value) | Q(child__upn__iexact=value)
        parts = value.split()
        if len(parts) == 1:
            condition |= Q(child__surname__istartswith=value) | Q(child__forename__istartswith=value)
        else:
            condition |= Q(child__forename__istartswith=parts[0], child__surname__istartswith=parts[-1])
        return queryset.filter(condition)

    def filter_open(
        self, queryset: QuerySet[AssessmentRequest], name: str, value: bool | None
    ) -> QuerySet[AssessmentRequest]:
        if value is None:
            return queryset
        return queryset.open() if value else queryset.closed()

    def filter_unassigned(
        self, queryset: QuerySet[AssessmentRequest], name: str, value: bool | None
    ) -> QuerySet[AssessmentRequest]:
        return queryset.filter(assigned_officer__isnull=True) if value else queryset

    def filter_age(self, queryset: QuerySet[AssessmentRequest], name: str, value: str) -> QuerySet[AssessmentRequest]:
        low, high = AGE_BANDS[value]
        # Aged between low and high today: born after (today - (high + 1) years), on or before (today - low years).
        youngest_born_by = _subtract_years(self.today, low)
        queryset = queryset.filter(child__date_of_birth__lte=youngest_born_by)
        if high is not None:
            queryset = queryset.filter(child__date_of_birth__gt=_subtract_years(self.today, high + 1))
        return queryset

    def filter_overdue(
        self, queryset: QuerySet[AssessmentRequest], name: str, value: bool | None
    ) -> QuerySet[AssessmentRequest]:
        return queryset.overdue(on=self.today) if value else queryset

    def filter_due_within(
        self, queryset: QuerySet[AssessmentRequest], name: str, value: Any
    ) -> QuerySet[AssessmentRequest]:
        if value is None:
            return queryset
        return queryset.due_within(int(value), on=self.today)

    def filter_ordering(
        self, queryset: QuerySet[AssessmentRequest], name: str, value: str
    ) -> QuerySet[AssessmentRequest]:
        if value == "next_deadline_on":
            return queryset.order_by(F("next_deadline_on").asc(nulls_last=True), "received_on", "pk")
        return queryset.order_by(value, "pk")
