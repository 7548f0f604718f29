"""Who may see and add documents on a placement contract, and on a placement review (the
evidence the review considered: attendance, progress, the school's and the family's views)
(core/documents.py; docs/decisions/0008-documents.md). Registered in ``PlacementsConfig.ready``.

Both copy the child's id onto each document, so subject access and the retention run (which
work by child, core/documents.py) cover them with the rest of the case file."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import reverse

from core.documents import OwnerPolicy, register_owner
from core.models import DocumentType
from core.roles import Capability, user_can
from placements import workflow
from placements.models import PlacementContract, PlacementEventAction, PlacementReview
from placements.services.common import write_event

CONTRACT_TYPES = (
    DocumentType.CONTRACT,
    DocumentType.PROVIDER_QUOTE,
    DocumentType.ANNUAL_REVIEW,
    DocumentType.FINAL_PLAN,
    DocumentType.CORRESPONDENCE,
    DocumentType.OTHER,
)


def _visible_contracts(user: Any) -> QuerySet[Any]:
    return PlacementContract.objects.visible_to(user)


def _may_upload(user: Any, owner: Any) -> bool:
    return user_can(user, Capability.PLACEMENT_MANAGE)


def _event(*, owner: PlacementContract, actor: Any, action: str, document: Any) -> None:
    write_event(
        actor=actor,
        action=PlacementEventAction(action),
        contract=owner,
        payload={
            "document_id": document.pk,
            "doc_type": document.doc_type,
            "document_date": document.document_date.isoformat(),
        },
    )


REVIEW_TYPES = (
    DocumentType.SCHOOL_EVIDENCE,
    DocumentType.PARENT_VIEWS,
    DocumentType.ANNUAL_REVIEW,
    DocumentType.CORRESPONDENCE,
    DocumentType.OTHER,
)


def _visible_reviews(user: Any) -> QuerySet[Any]:
    """Finance and managers: every review; an SEN officer: their own cases' (the review's rule)."""
    return PlacementReview.objects.visible_to(user)


def _may_upload_evidence(user: Any, owner: PlacementReview) -> bool:
    """Those who record reviews, on a review they may record (an officer's own case)."""
    return (
        user_can(user, Capability.PLACEMENT_REVIEW_RECORD)
        and PlacementReview.objects.visible_to(user).filter(pk=owner.pk).exists()
    )


def _review_url(owner: PlacementReview, user: Any) -> str:
    if user_can(user, Capability.PLACEMENT_VIEW):
        return reverse("placements:contract-detail", args=[owner.contract_id]) + f"#review-{owner.pk}"
    if not owner.outcome:
        return reverse("placements:review-outcome", args=[owner.pk])
    return reverse("placements:case-reviews")


def _review_event(*, owner: PlacementReview, actor: Any, action: str, document: Any) -> None:
    write_event(
        actor=actor,
        action=PlacementEventAction(action),
        contract=PlacementContract.objects.get(pk=owner.contract_id),
        payload={
            "review_id": owner.pk,
            "document_id": document.pk,
            "doc_type": document.doc_type,
            "document_date": document.document_date.isoformat(),
        },
    )


def register() -> None:
    register_owner(
        OwnerPolicy(
            kind="contract",
            label="contract",
            visible_owners=_visible_contracts,
            can_upload=_may_upload,
            child_id_of=lambda owner: owner.child_id,
            owner_url=lambda owner, user: reverse("placements:contract-detail", args=[owner.pk]),
            owner_title=lambda owner: f"Contract {owner.reference or owner.pk}",
            get_owner=lambda pk: PlacementContract.objects.filter(pk=pk).first(),
            doc_types=tuple(t.value for t in CONTRACT_TYPES),
            record_event=_event,
        )
    )
    register_owner(
        OwnerPolicy(
            kind="placement_review",
            label="placement review",
            visible_owners=_visible_reviews,
            can_upload=_may_upload_evidence,
            child_id_of=lambda owner: owner.contract.child_id,
            owner_url=_review_url,
            owner_title=lambda owner: f"Placement review due {workflow.long_date(owner.due_on)}",
            get_owner=lambda pk: PlacementReview.objects.select_related("contract").filter(pk=pk).first(),
            doc_types=tuple(t.value for t in REVIEW_TYPES),
            record_event=_review_event,
        )
    )
