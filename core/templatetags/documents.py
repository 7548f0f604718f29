"""``{% owner_documents "request" req %}``: the documents section of an owner's page (its list,
and the upload link for those who may upload), as core/documents.py allows the signed-in user."""

from __future__ import annotations

from typing import Any

from django import template

from core.document_views import documents_context
from core.documents import policy_for

register = template.Library()


@register.inclusion_tag("core/documents/_section.html", takes_context=True)
def owner_documents(context: template.Context, kind: str, owner: Any) -> dict[str, Any]:
    user = context["request"].user
    policy = policy_for(kind)
    if not policy.visible_owners(user).filter(pk=owner.pk).exists():
        return {"doc_policy": policy, "doc_owner": owner, "doc_rows": [], "doc_can_upload": False, "hidden": True}
    return documents_context(policy=policy, owner=owner, user=user)
