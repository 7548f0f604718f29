"""The request page's "SEN2 return" section (docs/sen2.md)."""

from __future__ import annotations

from typing import Any

from django import template

from core.roles import Capability, user_can
from core.sen2codes import CEASE_REASONS, ETHNICITIES, REQUEST_SOURCE_FROM_KIND, REQUEST_SOURCE_LABELS, UPN_UNKNOWN

register = template.Library()


@register.inclusion_tag("requests_app/_sen2.html", takes_context=True)
def sen2_section(context: dict[str, Any], req: Any) -> dict[str, Any]:
    child = req.child
    source = req.sen2_request_source or REQUEST_SOURCE_FROM_KIND.get(req.source, "5")
    return {
        "req": req,
        "ethnicity": ETHNICITIES.get(child.ethnicity, ""),
        "upn_unknown": UPN_UNKNOWN.get(child.upn_unknown, ""),
        "source": f"{REQUEST_SOURCE_LABELS[source]} ({source})",
        "cease_reason": CEASE_REASONS.get(req.plan_cease_reason, ""),
        "placements": list(req.plan_placements.select_related("establishment")),
        "can_record": user_can(context["request"].user, Capability.REQUEST_DECIDE),
    }
