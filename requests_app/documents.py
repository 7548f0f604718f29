"""Who may see and add documents on a request and on an advice request (core/documents.py;
docs/decisions/0008-documents.md). Registered in ``RequestsAppConfig.ready``.

The plan, draft and final, is part of the request (its dates and outcome are the request's), so
its documents are the request's, typed "Draft EHC plan" and "Final EHC plan".
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import reverse

from core.documents import OwnerPolicy, register_owner
from core.models import DocumentType
from core.roles import Capability, user_can
from requests_app.models import AdviceRequest, AssessmentRequest
from requests_app.services.documents import request_record_document_event

REQUEST_TYPES = (
    DocumentType.REQUEST_LETTER,
    DocumentType.SCHOOL_EVIDENCE,
    DocumentType.PARENT_VIEWS,
    DocumentType.EP_ADVICE,
    DocumentType.HEALTH_ADVICE,
    DocumentType.SOCIAL_CARE_ADVICE,
    DocumentType.OTHER_ADVICE,
    DocumentType.DRAFT_PLAN,
    DocumentType.FINAL_PLAN,
    DocumentType.ANNUAL_REVIEW,
    DocumentType.CORRESPONDENCE,
    DocumentType.OTHER,
)
ADVICE_TYPES = (
    DocumentType.EP_ADVICE,
    DocumentType.HEALTH_ADVICE,
    DocumentType.SOCIAL_CARE_ADVICE,
    DocumentType.OTHER_ADVICE,
    DocumentType.SCHOOL_EVIDENCE,
    DocumentType.PARENT_VIEWS,
    DocumentType.CORRESPONDENCE,
    DocumentType.OTHER,
)


def _visible_requests(user: Any) -> QuerySet[Any]:
    return AssessmentRequest.objects.visible_to(user)


def _may_upload_to_request(user: Any, owner: Any) -> bool:
    # Officers file papers; the provision evaluator files the school's evidence.
    return user_can(user, Capability.REQUEST_DECIDE) or user_can(user, Capability.REQUEST_EVALUATE)


def _request_event(*, owner: AssessmentRequest, actor: Any, action: str, document: Any) -> None:
    request_record_document_event(request=owner, actor=actor, action=action, document=document)


def _visible_advice(user: Any) -> QuerySet[Any]:
    return AdviceRequest.objects.visible_to(user).select_related("request")


def _may_upload_to_advice(user: Any, owner: Any) -> bool:
    # The adviser returning the report (the EP service) or an officer filing it for them.
    return user_can(user, Capability.ADVICE_RECORD) or user_can(user, Capability.REQUEST_DECIDE)


def _advice_event(*, owner: AdviceRequest, actor: Any, action: str, document: Any) -> None:
    request_record_document_event(request=owner.request, actor=actor, action=action, document=document)


def _advice_url(owner: AdviceRequest, user: Any) -> str:
    if user_can(user, Capability.REQUEST_VIEW):
        return reverse("requests:detail", args=[owner.request_id]) + "#advice"
    return reverse("requests:advice-queue")


def register() -> None:
    register_owner(
        OwnerPolicy(
            kind="request",
            label="request",
            visible_owners=_visible_requests,
            can_upload=_may_upload_to_request,
            child_id_of=lambda owner: owner.child_id,
            owner_url=lambda owner, user: reverse("requests:detail", args=[owner.pk]),
            owner_title=lambda owner: f"Request {owner.reference or owner.pk}",
            get_owner=lambda pk: AssessmentRequest.objects.filter(pk=pk).first(),
            doc_types=tuple(t.value for t in REQUEST_TYPES),
            record_event=_request_event,
        )
    )
    register_owner(
        OwnerPolicy(
            kind="advice_request",
            label="advice request",
            visible_owners=_visible_advice,
            can_upload=_may_upload_to_advice,
            child_id_of=lambda owner: owner.request.child_id,
            owner_url=_advice_url,
            owner_title=lambda owner: (
                f"{owner.get_adviser_type_display()} advice, requested {owner.requested_on:%-d %B %Y}"
            ),
            get_owner=lambda pk: AdviceRequest.objects.select_related("request").filter(pk=pk).first(),
            doc_types=tuple(t.value for t in ADVICE_TYPES),
            record_event=_advice_event,
        )
    )
