"""Home-page summaries: the counts an officer, evaluator or EP wants first thing on a Monday.

Each function takes the signed-in user and today's date and returns figures, each with the
queue link that lists the cases behind it. Registered in settings.HOME_SUMMARIES (the roof),
so the core home page shows them without importing this app.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db.models import Count, Q
from django.urls import reverse

from core.roles import Role, user_has_role
from requests_app import workflow
from requests_app.models import OPEN, AdviceRequest, AssessmentRequest


def _figure(label: str, count: int, url: str) -> dict[str, Any]:
    return {"label": label, "count": count, "url": url}


def officer_summary(user: Any, today: date) -> list[dict[str, Any]]:
    queue = reverse("requests:queue")
    counts = (
        AssessmentRequest.objects.visible_to(user)
        .filter(status__in=OPEN)
        .aggregate(
            open=Count("pk"),
            overdue=Count("pk", filter=Q(next_deadline_on__lt=today)),
            due_week=Count(
                "pk", filter=Q(next_deadline_on__gte=today, next_deadline_on__lte=today + timedelta(days=7))
            ),
            unassigned=Count("pk", filter=Q(assigned_officer__isnull=True)),
            mine=Count("pk", filter=Q(assigned_officer=user)),
        )
    )
    advice_overdue = AdviceRequest.objects.visible_to(user).overdue(on=today).count()
    figures = [
        _figure("Overdue", counts["overdue"], f"{queue}?overdue=true"),
        _figure("Due in the next 7 days", counts["due_week"], f"{queue}?due_within=7"),
        _figure("Unassigned", counts["unassigned"], f"{queue}?unassigned=true"),
    ]
    if user_has_role(user, Role.SEN_OFFICER):
        figures.append(_figure("Assigned to you", counts["mine"], f"{queue}?assigned_officer={user.pk}"))
    figures += [
        _figure("Open requests", counts["open"], queue),
        _figure("Advice overdue (all services)", advice_overdue, f"{reverse('requests:advice-queue')}?overdue=true"),
    ]
    return figures


def evaluator_summary(user: Any, today: date) -> list[dict[str, Any]]:
    queue = reverse("requests:queue")
    waiting = AssessmentRequest.objects.visible_to(user).in_status(workflow.Status.RECEIVED, workflow.Status.EVALUATING)
    counts = waiting.aggregate(
        received=Count("pk", filter=Q(status=workflow.Status.RECEIVED.value)),
        evaluating=Count("pk", filter=Q(status=workflow.Status.EVALUATING.value)),
    )
    return [
        _figure("Received, not yet evaluated", counts["received"], f"{queue}?status={workflow.Status.RECEIVED.value}"),
        _figure("Evaluation in progress", counts["evaluating"], f"{queue}?status={workflow.Status.EVALUATING.value}"),
    ]


def ep_summary(user: Any, today: date) -> list[dict[str, Any]]:
    advice = AdviceRequest.objects.visible_to(user).outstanding()
    counts = advice.aggregate(
        outstanding=Count("pk"),
        overdue=Count("pk", filter=Q(target_on__lt=today)),
    )
    url = reverse("requests:advice-queue")
    return [
        _figure("Advice requests outstanding", counts["outstanding"], url),
        _figure("Past the 6-week deadline (reg 8)", counts["overdue"], f"{url}?overdue=true"),
    ]
