"""Roles (Django groups) and what each may do: the one table of permissions in code.

Pure Python apart from the small helpers at the bottom that read a user's groups. Pages and
API endpoints ask ``user_can(user, Capability.X)``; object-level rules (which requests an
officer may see, which meetings a panel member sits on) live in each app's
``QuerySet.visible_to(user)``.
"""

from __future__ import annotations

import enum
from typing import Any


class Role(enum.StrEnum):
    SEN_OFFICER = "sen_officer"
    PROVISION_EVALUATOR = "provision_evaluator"
    EDUCATIONAL_PSYCHOLOGIST = "educational_psychologist"
    PANEL_MEMBER = "panel_member"
    PANEL_CHAIR = "panel_chair"
    FINANCE_OFFICER = "finance_officer"
    MANAGER = "manager"
    DATA_PROTECTION_OFFICER = "data_protection_officer"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS: dict[Role, str] = {
    Role.SEN_OFFICER: "SEN officer",
    Role.PROVISION_EVALUATOR: "Provision evaluation officer",
    Role.EDUCATIONAL_PSYCHOLOGIST: "Educational psychologist",
    Role.PANEL_MEMBER: "Panel member",
    Role.PANEL_CHAIR: "Panel chair",
    Role.FINANCE_OFFICER: "Finance officer",
    Role.MANAGER: "Head of service",
    Role.DATA_PROTECTION_OFFICER: "Data protection officer",
    Role.ADMIN: "System administrator",
}

# When a person holds several roles, the first in this order decides their home page.
ROLE_PRIORITY: tuple[Role, ...] = (
    Role.ADMIN,
    Role.MANAGER,
    Role.PANEL_CHAIR,
    Role.SEN_OFFICER,
    Role.PROVISION_EVALUATOR,
    Role.EDUCATIONAL_PSYCHOLOGIST,
    Role.FINANCE_OFFICER,
    Role.PANEL_MEMBER,
    Role.DATA_PROTECTION_OFFICER,
)


class Capability(enum.StrEnum):
    # EHC needs-assessment requests (requests_app)
    REQUEST_VIEW = "request.view"  # open a child's record and its requests
    REQUEST_CREATE = "request.create"
    REQUEST_ASSIGN = "request.assign"
    REQUEST_EVALUATE = "request.evaluate"  # provision evaluation checklist
    REQUEST_DECIDE = "request.decide"  # decisions, advice requests, plans, exceptions, withdraw
    REQUEST_REOPEN = "request.reopen"  # senior officers only
    REQUEST_IMPORT = "request.import"
    ADVICE_VIEW = "advice.view"  # the EP service's queue of advice requests
    ADVICE_RECORD = "advice.record"  # record advice as received
    # Central placement panel (panels)
    PANEL_REFER = "panel.refer"
    PANEL_VIEW = "panel.view"  # papers for the meetings one sits on
    PANEL_CHAIR = "panel.chair"  # schedule, agenda, attendance, decisions, minutes
    # Independent placements (placements)
    PLACEMENT_VIEW = "placement.view"
    PLACEMENT_MANAGE = "placement.manage"
    # Record a placement review and its outcome (not the money): finance for every placement, an
    # SEN officer for the children whose case is theirs (placements.models.PlacementReviewQuerySet).
    PLACEMENT_REVIEW_RECORD = "placement.review_record"
    # Reports
    REPORTS_VIEW = "reports.view"
    REPORTS_RECOMPUTE = "reports.recompute"  # ask for stored figures to be recomputed
    REPORTS_PREPARE = "reports.prepare"  # write and version the committee report's commentary
    EXPORT = "export"
    # The SEN2 statutory return (the whole caseload in one file): managers only.
    SEN2_RETURN = "reports.sen2"
    # Data protection: who viewed which child's record (the access log), and its export
    DATA_PROTECTION = "data_protection"
    # System
    ADMIN = "admin"
    # Integrating another system with the API: read the OpenAPI schema and its Swagger UI
    # (docs/security.md). Administrators hold it; give it to any future integration role here.
    API_INTEGRATE = "api.integrate"
    # File a document on a record (core/documents.py): the role check before any upload is
    # read; which records each role may file on is the owner's policy.
    DOCUMENT_UPLOAD = "document.upload"
    # --- Case notes and corrections (issue 13, notes) ---
    CASE_NOTE_ADD = "case_note.add"  # log a call, meeting, email or letter on a request
    RECORD_CORRECT = "record.correct"  # correct a child's details or a request's dates, with a reason


# The table: each role and the capabilities it holds. Change access here and nowhere else.
ROLE_CAPABILITIES: dict[Role, frozenset[Capability]] = {
    Role.SEN_OFFICER: frozenset(
        {
            Capability.REQUEST_VIEW,
            Capability.REQUEST_CREATE,
            Capability.REQUEST_ASSIGN,
            Capability.REQUEST_DECIDE,
            Capability.ADVICE_VIEW,
            Capability.ADVICE_RECORD,
            Capability.PANEL_REFER,
            Capability.EXPORT,
            Capability.CASE_NOTE_ADD,
            Capability.RECORD_CORRECT,
            Capability.DOCUMENT_UPLOAD,
            Capability.PLACEMENT_REVIEW_RECORD,
        }
    ),
    Role.PROVISION_EVALUATOR: frozenset(
        {Capability.REQUEST_VIEW, Capability.REQUEST_EVALUATE, Capability.CASE_NOTE_ADD, Capability.DOCUMENT_UPLOAD}
    ),
    Role.EDUCATIONAL_PSYCHOLOGIST: frozenset(
        {Capability.ADVICE_VIEW, Capability.ADVICE_RECORD, Capability.DOCUMENT_UPLOAD}
    ),
    Role.PANEL_MEMBER: frozenset({Capability.PANEL_VIEW}),
    Role.PANEL_CHAIR: frozenset(
        {
            Capability.PANEL_VIEW,
            Capability.PANEL_CHAIR,
            Capability.PANEL_REFER,
            Capability.REQUEST_VIEW,
            Capability.REQUEST_REOPEN,
            Capability.REPORTS_VIEW,
            Capability.EXPORT,
            Capability.DOCUMENT_UPLOAD,
        }
    ),
    Role.FINANCE_OFFICER: frozenset(
        {
            Capability.PLACEMENT_VIEW,
            Capability.PLACEMENT_MANAGE,
            Capability.PLACEMENT_REVIEW_RECORD,
            Capability.EXPORT,
            Capability.DOCUMENT_UPLOAD,
        }
    ),
    Role.MANAGER: frozenset(
        {
            Capability.REQUEST_VIEW,
            Capability.REQUEST_REOPEN,
            Capability.REQUEST_IMPORT,
            Capability.ADVICE_VIEW,
            Capability.PANEL_VIEW,
            Capability.PLACEMENT_VIEW,
            Capability.REPORTS_VIEW,
            Capability.REPORTS_RECOMPUTE,
            Capability.REPORTS_PREPARE,
            Capability.EXPORT,
            Capability.DATA_PROTECTION,
            Capability.CASE_NOTE_ADD,
            Capability.RECORD_CORRECT,
            Capability.SEN2_RETURN,
        }
    ),
    # UK GDPR Art. 5(1)(f) and 32 (integrity and confidentiality): the DPO investigates who
    # consulted a child's record; they read the access log and nothing else.
    Role.DATA_PROTECTION_OFFICER: frozenset({Capability.DATA_PROTECTION}),
    Role.ADMIN: frozenset({Capability.ADMIN, Capability.REQUEST_IMPORT, Capability.API_INTEGRATE}),
}

# The page each role lands on after signing in (URL names).
ROLE_HOME: dict[Role, str] = {
    Role.SEN_OFFICER: "home",
    Role.PROVISION_EVALUATOR: "home",
    Role.EDUCATIONAL_PSYCHOLOGIST: "home",
    Role.PANEL_MEMBER: "home",
    Role.PANEL_CHAIR: "home",
    Role.FINANCE_OFFICER: "home",
    Role.MANAGER: "home",
    Role.DATA_PROTECTION_OFFICER: "home",
    Role.ADMIN: "home",
}


def capabilities_for(roles: set[Role]) -> frozenset[Capability]:
    caps: set[Capability] = set()
    for role in roles:
        caps |= ROLE_CAPABILITIES[role]
    return frozenset(caps)


# --- Reading a user's roles (the user object is a Django user; kept duck-typed here) -------

_CACHE_ATTR = "_senportal_roles"


def user_roles(user: Any) -> frozenset[Role]:
    """The roles a signed-in user holds, read once per request and cached on the user."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    cached: frozenset[Role] | None = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        names = set(user.groups.values_list("name", flat=True))
        cached = frozenset(role for role in Role if role.value in names)
        setattr(user, _CACHE_ATTR, cached)
    return cached


def user_has_role(user: Any, role: Role) -> bool:
    return role in user_roles(user)


def user_can(user: Any, capability: Capability) -> bool:
    return capability in capabilities_for(set(user_roles(user)))


def primary_role(user: Any) -> Role | None:
    roles = user_roles(user)
    for role in ROLE_PRIORITY:
        if role in roles:
            return role
    return None
