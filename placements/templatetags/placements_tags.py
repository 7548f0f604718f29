"""Template helpers for placements: money in pounds, and the link from a panel approval to
drafting its placement contract (used on the panel's meeting page)."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils.html import format_html

from panels.workflow import APPROVALS
from placements import workflow
from senportal.core.roles import Capability, user_can

register = template.Library()


@register.filter
def pounds(pence: Any) -> str:
    """``1666667`` -> ``£16,666.67``; empty for no amount."""
    if pence is None or pence == "":
        return ""
    return workflow.format_pounds(int(pence))


@register.filter
def pounds_input(pence: Any) -> str:
    """``1666667`` -> ``16666.67``: an amount as typed into a money field."""
    if pence is None or pence == "":
        return ""
    whole, pennies = divmod(int(pence), 100)
    return f"{whole}.{pennies:02d}"


@register.simple_tag(takes_context=True)
def placement_contract_link(context: template.Context, decision: Any) -> str:
    """A "Create the placement contract" link for an approval, shown only to people who manage
    placements (the page it opens checks again)."""
    request = context.get("request")
    if decision is None or request is None or decision.outcome not in {o.value for o in APPROVALS}:
        return ""
    if not user_can(request.user, Capability.PLACEMENT_MANAGE):
        return ""
    url = f"{reverse('placements:contract-create')}?decision={decision.pk}"
    return format_html(
        '<br><a class="govuk-link app-print-hidden" href="{}">Create the placement contract'
        '<span class="govuk-visually-hidden"> for decision {}</span></a>',
        url,
        decision.pk,
    )
