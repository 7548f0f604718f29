"""Placements' subject data sections (core/subject_data.py): the child's placement contracts,
their costs, negotiation, penalty clauses, attendance returns and deductions, fee versions and fee reviews."""

from __future__ import annotations

from core.subject_data import Section, rows
from placements.models import (
    AttendanceReturn,
    ContractVersion,
    CostLine,
    Deduction,
    FeeReview,
    FeeReviewLine,
    NegotiationRound,
    PenaltyClause,
    PlacementContract,
    PlacementEvent,
    PlacementReview,
)


def sections(child_id: int) -> list[Section]:
    contract = {"contract__child_id": child_id}
    return [
        Section(
            "placement_contracts",
            "Placement contracts",
            rows(PlacementContract.objects.filter(child_id=child_id)),
            ("placements.PlacementContract",),
        ),
        Section(
            "placement_costs",
            "Contract costs, negotiation and penalty clauses",
            rows(CostLine.objects.filter(**contract))
            + rows(NegotiationRound.objects.filter(**contract))
            + rows(PenaltyClause.objects.filter(**contract)),
            ("placements.CostLine", "placements.NegotiationRound", "placements.PenaltyClause"),
        ),
        Section(
            "placement_attendance",
            "Attendance returns and deductions",
            rows(AttendanceReturn.objects.filter(**contract))
            + rows(Deduction.objects.filter(attendance_return__contract__child_id=child_id)),
            ("placements.AttendanceReturn", "placements.Deduction"),
        ),
        Section(
            "placement_reviews",
            "Placement reviews: what the panel expected, outcomes and evidence",
            rows(PlacementReview.objects.filter(**contract)),
            ("placements.PlacementReview",),
        ),
        Section(
            "placement_timeline",
            "Placement timeline",
            rows(PlacementEvent.objects.filter(**contract)),
            ("placements.PlacementEvent",),
        ),
        Section(
            "placement_fees",
            "Fee versions and annual fee reviews",
            rows(ContractVersion.objects.filter(**contract))
            + rows(FeeReview.objects.filter(**contract))
            + rows(FeeReviewLine.objects.filter(review__contract__child_id=child_id)),
            ("placements.ContractVersion", "placements.FeeReview", "placements.FeeReviewLine"),
        ),
    ]
