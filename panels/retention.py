"""The panel's part of anonymising a child's case file under the retention schedule
(``settings.RETENTION_ANONYMISERS``; docs/retention.md).

Called while the child's identifiers are still on the row. Every row stays (the panel's figures
count them); the free text about the child goes: the referral's needs summary, parental
preference and notes, the options' reasons and cost-line descriptions, the reasons for a
withdrawal or deferral, members' declared interests in the child's items, the decision's
reasoning, the timeline's notes, and in the minutes of each meeting that heard the child (which
cover other children too) the child's items and any mention of the child by name, date of birth
or UPN.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from django.db.models import Case, Value, When

from panels.models import (
    AgendaItem,
    Declaration,
    PanelDecision,
    PanelEvent,
    PanelMinutes,
    Referral,
    ReferralCostLine,
    ReferralOption,
)
from panels.workflow import ChildIdentifiers, redact_identifiers
from requests_app.retention import REMOVED

# What an item's minuted facts keep: which item it was and what kind of case, never its text.
_KEPT_ITEM_KEYS = ("position", "referral_id", "kind", "status")


def _removed_unless_empty(field: str) -> Case:
    return Case(When(**{field: ""}, then=Value("")), default=Value(REMOVED))


def strip_items(body: str, referral_ids: set[int]) -> str:
    """The minutes' text with each of these referrals' items cut to its number (pure)."""
    blocks = body.split("\n\n")
    for index, block in enumerate(blocks):
        found = re.match(r"Item (\d+): referral (\d+)\b", block)
        if found and int(found.group(2)) in referral_ids:
            blocks[index] = f"Item {found.group(1)}: referral {found.group(2)} – {REMOVED.lower()}."
    return "\n\n".join(blocks)


def anonymise_child(child: Any, *, now: datetime) -> None:
    referrals = Referral.objects.filter(request__child_id=child.pk)
    referral_ids = set(referrals.values_list("pk", flat=True))
    if not referral_ids:
        return
    referrals.update(parental_preference="", needs_summary="", notes="")
    ReferralOption.objects.filter(referral_id__in=referral_ids).update(reason=REMOVED)
    ReferralCostLine.objects.filter(referral_id__in=referral_ids).update(description="")
    items = AgendaItem.objects.filter(referral_id__in=referral_ids)
    items.update(withdrawn_reason=_removed_unless_empty("withdrawn_reason"))
    Declaration.objects.filter(item__referral_id__in=referral_ids).update(interest=_removed_unless_empty("interest"))
    PanelDecision.objects.filter(item__referral_id__in=referral_ids).update(
        reasons_text=REMOVED,
        suitable_text=_removed_unless_empty("suitable_text"),
        compatible_text=_removed_unless_empty("compatible_text"),
        resources_text=_removed_unless_empty("resources_text"),
        ceiling_reason=_removed_unless_empty("ceiling_reason"),
        conditions=_removed_unless_empty("conditions"),
    )
    PanelEvent.objects.filter(referral_id__in=referral_ids).redact_for_retention(note="")
    identity = ChildIdentifiers(
        forename=child.forename, surname=child.surname, date_of_birth=child.date_of_birth, upn=child.upn
    )
    meeting_ids = set(items.values_list("meeting_id", flat=True))
    for minutes in PanelMinutes.objects.select_for_update().filter(meeting_id__in=meeting_ids):
        content = dict(minutes.content or {})
        content["items"] = [
            {key: item.get(key) for key in _KEPT_ITEM_KEYS} | {"removed": True}
            if item.get("referral_id") in referral_ids
            else item
            for item in content.get("items", [])
        ]
        body = redact_identifiers(strip_items(minutes.body, referral_ids), identity)
        PanelMinutes.objects.filter(pk=minutes.pk).update(body=body, content=content)
