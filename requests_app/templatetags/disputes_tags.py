"""``{% disputes_section req %}``: the request page's mediation and appeals section."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from core.roles import Capability, user_can
from requests_app import disputes

register = template.Library()


@register.inclusion_tag("requests_app/_disputes.html", takes_context=True)
def disputes_section(context: dict[str, Any], req: Any) -> dict[str, Any]:
    today = timezone.localdate()
    user = context["request"].user
    appeals = list(req.appeals.select_related("mediation").order_by("registered_on", "pk"))
    rows = []
    for appeal in appeals:
        days_left = (
            disputes.compliance_days_left(appeal.compliance_due_on, today=today)
            if appeal.status == disputes.AppealStatus.ORDERED and appeal.compliance_due_on
            else None
        )
        rows.append(
            {
                "appeal": appeal,
                "steps": appeal.steps(),
                "days_left": days_left,
                "overdue_days": -days_left if days_left is not None and days_left < 0 else 0,
            }
        )
    return {
        "req": req,
        "mediations": list(req.mediations.order_by("decision_letter_on", "pk")),
        "appeals": rows,
        "can_record": user_can(user, Capability.REQUEST_DECIDE),
    }
