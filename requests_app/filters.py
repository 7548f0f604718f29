"""The triage queue's filters, shared by the queue page and the request API (one code path)."""

from __future__ import annotations

from datetime import date
from typing import Any

import django_filters
from django import forms
from django.contrib.auth.models import User
from django.db.models import F, Q, QuerySet
from django.forms.renderers import BaseRenderer
from django.forms.utils import flatatt
from django.utils import timezone
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeString, mark_safe

from core.models import District, NeedType
from core.roles import Role
from requests_app import workflow
from requests_app.models import AssessmentRequest, Child, RequestSource, RequestStatus

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


class PlainSelect(forms.Select):
    """A ``<select>`` built in Python: Django's Select renders every ``<option>`` through
    two template includes, which made the queue's officer and district lists over half of the
    page's time (docs/benchmarks.md finding 3). Same markup, no per-option templates."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: BaseRenderer | None = None
    ) -> SafeString:
        chosen = set(self.format_value(value))
        found = False

        def option(option_value: Any, label: Any) -> str:
            nonlocal found
            text = "" if option_value is None else str(option_value)
            selected = not found and text in chosen
            found = found or selected
            marked = " selected" if selected else ""
            return f'<option value="{escape(text)}"{marked}>{conditional_escape(label)}</option>'

        options = []
        for option_value, label in self.choices:
            if isinstance(label, list | tuple):  # an optgroup
                inner = "".join(option(v, sub) for v, sub in label)
                options.append(f'<optgroup label="{conditional_escape(option_value)}">{inner}</optgroup>')
            else:
                options.append(option(option_value, label))
        attributes = flatatt(self.build_attrs(self.attrs, attrs))
        return mark_safe(f'<select name="{escape(name)}"{attributes}>{"".join(options)}</select>')  # noqa: S308 - every part escaped above


def plain_selects(*forms_: forms.BaseForm | None) -> None:
    """Render the single selects of these forms with ``PlainSelect``, and read the rows of
    each model choice list once for all of them (the queue's two officer lists are one query).

    Each form holds its own copy of its fields and widgets, so this changes only these
    instances; validation still uses the fields' querysets.
    """
    fetched: dict[str, list[Any]] = {}
    for form in forms_:
        if form is None:
            continue
        for field in form.fields.values():
            if type(field.widget) is not forms.Select:
                continue
            field.widget.__class__ = PlainSelect
            if isinstance(field, forms.ModelChoiceField) and field.queryset is not None:
                key = str(field.queryset.query)
                if key not in fetched:
                    fetched[key] = list(field.queryset)
                empty = [("", field.empty_label)] if field.empty_label is not None else []
                field.widget.choices = [*empty, *((obj.pk, field.label_from_instance(obj)) for obj in fetched[key])]


def _contains(field: str, text: str) -> Q:
    # Trigram indexes need three characters to narrow a search; a shorter text matches the
    # start of the name instead (which the same index serves, and which is what one means).
    return Q(**{f"{field}__{'icontains' if len(text) >= 3 else 'istartswith'}": text})


def _name_condition(value: str) -> Q:
    """One word: any part of either name. Two or more: the first and last words as first name
    and last name, either way round ("Isabella Taylor" or "Taylor Isabella")."""
    parts = value.split()
    if len(parts) == 1:
        return _contains("surname", value) | _contains("forename", value)
    first, last = parts[0], parts[-1]
    return (_contains("forename", first) & _contains("surname", last)) | (
        _contains("surname", first) & _contains("forename", last)
    )


def _reference_condition(value: str) -> Q:
    """A reference from its start ("REQ-0362"), or any run of 4 or more of its characters
    ("036242" for REQ-036242: officers quote the number without the prefix). The trigram index
    on the reference serves the second on PostgreSQL (migration 0008)."""
    condition = Q(reference__istartswith=value)
    if len(value) >= 4 and " " not in value:
        condition |= Q(reference__icontains=value)
    return condition


def officers(request: Any = None) -> QuerySet[User]:
    return User.objects.filter(groups__name=Role.SEN_OFFICER.value, is_active=True).order_by("first_name", "last_name")


class RequestFilter(django_filters.FilterSet):
    """Filters for the triage queue. ``today`` can be fixed for tests and reports."""

    q = django_filters.CharFilter(method="filter_search", label="Name, UPN or reference", max_length=100)
    status = django_filters.MultipleChoiceFilter(choices=RequestStatus.choices, label="Stage")
    open = django_filters.BooleanFilter(method="filter_open", label="Open requests only")
    assigned_officer = django_filters.ModelChoiceFilter(queryset=officers, label="Officer")
    unassigned = django_filters.BooleanFilter(method="filter_unassigned", label="Unassigned only")
    # The request's own copy of the child's district (decision 0007): no join to children.
    district = django_filters.ModelChoiceFilter(field_name="district", queryset=District.objects.all())
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
        """A reference by its start ("REQ-00012") or any part of 4 characters or more ("036242"),
        a UPN exactly, or a name: any part of a first or last name ("olde" finds Holden), or
        "first last" either way round ("sam hol" or "holden sam" for Sam Holden).

        Written so each part can use an index at national size (docs/benchmarks.md finding 5):
        the matching requests are the union of those found by reference and those of the
        children found by UPN or name, each a single-table condition. An OR across the join
        would make PostgreSQL walk the whole queue row by row. On PostgreSQL the reference and
        UPN use b-tree expression indexes and the names trigram indexes (migration 0005).
        """
        value = value.strip()
        if not value:
            return queryset
        children = Child.objects.filter(Q(upn__iexact=value) | _name_condition(value)).order_by().values("pk")
        by_child = AssessmentRequest.objects.filter(child__in=children).order_by().values("pk")
        by_reference = AssessmentRequest.objects.filter(_reference_condition(value)).order_by().values("pk")
        return queryset.filter(pk__in=by_reference.union(by_child))

    def filter_open(self, queryset: QuerySet[AssessmentRequest], name: str, value: bool) -> QuerySet[AssessmentRequest]:
        if value is None:
            return queryset
        return queryset.open() if value else queryset.closed()

    def filter_unassigned(
        self, queryset: QuerySet[AssessmentRequest], name: str, value: bool
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
        self, queryset: QuerySet[AssessmentRequest], name: str, value: bool
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
