"""Who may see and add documents on a placement contract (core/documents.py;
docs/decisions/0008-documents.md). Registered in ``PlacementsConfig.ready``."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import reverse

from core.documents import OwnerPolicy, register_owner
from core.models import DocumentType
from core.roles import Capability, user_can
from placements.models import PlacementContract, PlacementEventAction
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
