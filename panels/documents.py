"""Who may see and add documents on a panel referral (core/documents.py;
docs/decisions/0008-documents.md). Registered in ``PanelsConfig.ready``.

Strict by design: a head teacher on the panel sees no document at all, not even a panel paper.
Every document on a referral names or describes the child, and the head teachers' papers are
the minimised agenda pack (initials, age, need, district), never the case file.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import reverse

from core.documents import OwnerPolicy, register_owner
from core.models import DocumentType
from core.roles import Capability, user_can
from panels.models import PanelMember, Referral
from panels.workflow import MemberType
from requests_app.services.documents import request_record_document_event

REFERRAL_TYPES = (
    DocumentType.PANEL_PAPER,
    DocumentType.SCHOOL_EVIDENCE,
    DocumentType.EP_ADVICE,
    DocumentType.HEALTH_ADVICE,
    DocumentType.SOCIAL_CARE_ADVICE,
    DocumentType.PROVIDER_QUOTE,
    DocumentType.DRAFT_PLAN,
    DocumentType.FINAL_PLAN,
    DocumentType.ANNUAL_REVIEW,
    DocumentType.CORRESPONDENCE,
    DocumentType.OTHER,
)


def is_panel_head_teacher(user: Any) -> bool:
    """A head teacher on the panel (any membership, active or not): never shown a document."""
    if not getattr(user, "is_authenticated", False):
        return False
    return PanelMember.objects.filter(user=user, member_type=MemberType.HEAD_TEACHER).exists()


def _visible_referrals(user: Any) -> QuerySet[Any]:
    if is_panel_head_teacher(user):
        return Referral.objects.none()
    return Referral.objects.visible_to(user).select_related("request")


def _may_upload(user: Any, owner: Any) -> bool:
    return not is_panel_head_teacher(user) and (
        user_can(user, Capability.PANEL_REFER) or user_can(user, Capability.PANEL_CHAIR)
    )


def _event(*, owner: Referral, actor: Any, action: str, document: Any) -> None:
    # On the request's timeline, as the panel's decision is (a direct call into requests_app).
    request_record_document_event(request=owner.request, actor=actor, action=action, document=document)


def register() -> None:
    register_owner(
        OwnerPolicy(
            kind="referral",
            label="panel referral",
            visible_owners=_visible_referrals,
            can_upload=_may_upload,
            child_id_of=lambda owner: owner.request.child_id,
            owner_url=lambda owner, user: reverse("panels:referral-detail", args=[owner.pk]),
            owner_title=lambda owner: f"Panel referral {owner.pk}",
            get_owner=lambda pk: Referral.objects.select_related("request").filter(pk=pk).first(),
            doc_types=tuple(t.value for t in REFERRAL_TYPES),
            record_event=_event,
        )
    )
