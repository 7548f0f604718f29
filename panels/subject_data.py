"""The panel's subject data sections (core/subject_data.py): referrals, their papers and the
panel's decisions about the child. Minutes cover several children and are not included; the
decisions recorded in them are."""

from __future__ import annotations

from core.subject_data import Section, rows
from panels.models import AgendaItem, Declaration, PanelDecision, PanelEvent, Referral, ReferralCostLine, ReferralOption


def sections(child_id: int) -> list[Section]:
    referral = {"referral__request__child_id": child_id}
    return [
        Section(
            "panel_referrals",
            "Referrals to the placement panel",
            rows(Referral.objects.filter(request__child_id=child_id)),
            ("panels.Referral",),
        ),
        Section(
            "panel_papers",
            "Panel papers: options considered and their costs",
            rows(ReferralOption.objects.filter(**referral)) + rows(ReferralCostLine.objects.filter(**referral)),
            ("panels.ReferralOption", "panels.ReferralCostLine"),
        ),
        Section(
            "panel_agenda",
            "Panel meetings where the child's case was listed",
            rows(AgendaItem.objects.filter(**referral)),
            ("panels.AgendaItem",),
        ),
        Section(
            "panel_decisions",
            "Panel decisions",
            rows(PanelDecision.objects.filter(item__referral__request__child_id=child_id)),
            ("panels.PanelDecision",),
        ),
        Section(
            "panel_declarations",
            "Declarations of interest on the child's case",
            rows(Declaration.objects.filter(item__referral__request__child_id=child_id)),
            ("panels.Declaration",),
        ),
        Section(
            "panel_timeline", "Panel timeline", rows(PanelEvent.objects.filter(**referral)), ("panels.PanelEvent",)
        ),
    ]
