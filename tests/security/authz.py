"""The fixtures and helpers behind the authorisation matrix (``authz_matrix.yaml``).

Two sets of objects, A and B, of the same shape: two panel meetings circulated to different
head teachers, an agenda item from which set A's head teacher is recused (and set B's is not),
two requests (each with a mediation and an appeal), two contracts (each with a deduction).
Each matrix cell is called with set A's users and set A's ids, and
replayed with set A's users and set B's ids.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from core.roles import Role
from panels.models import Declaration
from requests_app.models import Appeal, Mediation
from tests.conftest import api_token_for, make_user
from tests.panels.factories import (
    AgendaItemFactory,
    CirculatedMeetingFactory,
    HeadTeacherMemberFactory,
    PanelDecisionFactory,
    PanelMemberFactory,
    ReferralFactory,
)
from tests.placements.factories import AttendanceReturnFactory, DeductionFactory, make_active_contract
from tests.requests_app.factories import AdviceRequestFactory, AssessingRequestFactory, ClockExceptionFactory

# The roles a cell names: every role, the anonymous visitor, and the head teacher on the panel
# (a panel member who leads a school: the minimised view, recusal).
ROLE_KEYS = ["anon", *[role.value for role in Role], "head_teacher"]
OUTCOMES = {"allow", "signin", "401", "403", "404", "405"}
MISSING = 999_999  # an id that no set holds (routes whose object no fixture makes)

_FORMAT_SUFFIX = re.compile(r"\\\.\(\?P<format>[^)]*\)/\?\$$")


# --- The URL conf as matrix keys ------------------------------------------------------------


def _walk(patterns: Any, prefix: str = "") -> Iterator[str]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern)


def route_key(route: str) -> str | None:
    """The matrix key of a URL pattern: ``<name>`` for each parameter, regex marks dropped.
    ``None`` for the routers' format-suffix twins (``.../pack.json``), which answer exactly as
    the route they double (the same view, the same checks)."""
    if "(?P<format>" in route or "<drf_format_suffix:format>" in route:
        return None
    key = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"<\1>", route)
    key = re.sub(r"<\w+:(\w+)>", r"<\1>", key)
    key = key.replace("^", "").replace("$", "").replace(".*", "<anything>")
    return key


def url_conf_keys() -> set[str]:
    keys = {route_key(route) for route in _walk(get_resolver().url_patterns)}
    return {key for key in keys if key is not None}


# --- The two sets -------------------------------------------------------------------------


@dataclass
class ObjectSet:
    ids: dict[str, int]
    users: dict[str, User] = field(default_factory=dict)


def _object_set(label: str, chair: User) -> ObjectSet:
    sen = PanelMemberFactory(member_type="sen", user=make_user(Role.PANEL_MEMBER, username=f"authz_member_{label}"))
    head = HeadTeacherMemberFactory(user=make_user(Role.PANEL_MEMBER, username=f"authz_head_{label}"))
    meeting = CirculatedMeetingFactory(chair=chair, circulated_to=[sen, head])
    referral = ReferralFactory()
    item = AgendaItemFactory(meeting=meeting, referral=referral)
    declaration = Declaration.objects.create(
        member=head,
        item=item,
        nature="prejudicial" if label == "a" else "personal",
        interest="Leads the school proposed" if label == "a" else "Knows the family",
        recused=label == "a",
        declared_at=timezone.now(),
    )
    decision = PanelDecisionFactory(item=AgendaItemFactory(meeting=meeting, status="decided"))
    request = AssessingRequestFactory()
    advice = AdviceRequestFactory(request=request)
    exception = ClockExceptionFactory(request=request)
    officer = make_user(Role.SEN_OFFICER, username="authz_officer")
    letter_on = request.received_on + timedelta(days=10)
    mediation = Mediation.objects.create(
        request=request, against="refusal_to_assess", decision_letter_on=letter_on, recorded_by=officer
    )
    appeal = Appeal.objects.create(
        request=request,
        against="refusal_to_assess",
        decision_letter_on=letter_on,
        registered_on=letter_on + timedelta(days=30),
        recorded_by=officer,
    )
    finance = make_user(Role.FINANCE_OFFICER, username="authz_finance")
    contract = make_active_contract(actor=finance)
    line = contract.cost_lines.first()
    negotiation_round = contract.negotiation_rounds.first() if hasattr(contract, "negotiation_rounds") else None
    deduction = DeductionFactory(attendance_return=AttendanceReturnFactory(contract=contract, submitted_by=finance))
    return ObjectSet(
        ids={
            "request": request.pk,
            "child": request.child_id,
            "advice": advice.pk,
            "exception": exception.pk,
            "request_decision": request.decisions.first().pk if request.decisions.exists() else MISSING,
            "meeting": meeting.pk,
            "item": item.pk,
            "declaration": declaration.pk,
            "panel_decision": decision.pk,
            "referral": referral.pk,
            "contract": contract.pk,
            "provider": contract.provider_id,
            "cost_line": line.pk if line else MISSING,
            "negotiation_round": negotiation_round.pk if negotiation_round else MISSING,
            # The open placement review contract_create scheduled from the panel's approval.
            "review": contract.reviews.values_list("pk", flat=True).first() or MISSING,
            "mediation": mediation.pk,
            "appeal": appeal.pk,
            "deduction": deduction.pk,
        },
        users={"panel_member": sen.user, "head_teacher": head.user},
    )


@dataclass
class World:
    a: ObjectSet
    b: ObjectSet
    users: dict[str, User | None]


def make_world() -> World:
    chair = make_user(Role.PANEL_CHAIR, username="authz_chair")
    a = _object_set("a", chair)
    b = _object_set("b", chair)
    users: dict[str, User | None] = {"anon": None}
    for role in Role:
        users[role.value] = make_user(role, username=f"authz_{role.value}")
    users[Role.PANEL_CHAIR.value] = chair
    users["panel_member"] = a.users["panel_member"]
    users["head_teacher"] = a.users["head_teacher"]
    return World(a=a, b=b, users=users)


# Which object each route parameter names: (key prefix, parameter) → object kind.
_PARAMETERS: list[tuple[str, str, str]] = [
    ("requests/access-log/children/", "child_pk", "child"),
    ("requests/advice/", "advice_pk", "advice"),
    ("requests/", "advice_pk", "advice"),
    ("requests/", "exception_pk", "exception"),
    ("requests/", "decision_pk", "request_decision"),
    ("requests/", "mediation_pk", "mediation"),
    ("requests/", "appeal_pk", "appeal"),
    ("requests/", "pk", "request"),
    ("panel/meetings/", "pk", "meeting"),
    ("panel/items/", "pk", "item"),
    ("panel/declarations/", "pk", "declaration"),
    ("panel/decisions/", "pk", "panel_decision"),
    ("panel/referrals/", "pk", "referral"),
    ("placements/contracts/", "pk", "contract"),
    ("placements/cost-lines/", "pk", "cost_line"),
    ("placements/rounds/", "pk", "negotiation_round"),
    ("placements/deductions/", "pk", "deduction"),
    ("placements/providers/", "pk", "provider"),
    ("api/requests/", "pk", "request"),
    ("api/advice-requests/", "pk", "advice"),
    ("api/exceptions/", "pk", "exception"),
    ("api/panel/referrals/", "pk", "referral"),
    ("api/panel/meetings/", "pk", "meeting"),
    ("api/panel/agenda-items/", "pk", "item"),
    ("api/placements/providers/", "pk", "provider"),
    ("api/placements/contracts/", "pk", "contract"),
    ("api/placements/cost-lines/", "pk", "cost_line"),
    ("api/placements/negotiation-rounds/", "pk", "negotiation_round"),
    ("placements/reviews/", "pk", "review"),
    ("api/placements/reviews/", "pk", "review"),
    ("api/placements/deductions/", "pk", "deduction"),
    ("api/mediations/", "pk", "mediation"),
    ("api/appeals/", "pk", "appeal"),
]


def object_kinds(key: str) -> list[str]:
    kinds = []
    for parameter in re.findall(r"<(\w+)>", key):
        if parameter == "anything":
            continue
        kind = next((k for prefix, p, k in _PARAMETERS if key.startswith(prefix) and p == parameter), None)
        kinds.append(kind or "missing")
    return kinds


def concrete(key: str, ids: dict[str, int]) -> str:
    path = key
    for kind in object_kinds(key):
        path = re.sub(r"<(?!anything)\w+>", str(ids.get(kind, MISSING)), path, count=1)
    return "/" + path.replace("<anything>", "no-such-thing")


# --- Calling a cell -----------------------------------------------------------------------


def client_for(user: User | None, *, api: bool) -> Client:
    if api:
        from rest_framework.test import APIClient

        client: Any = APIClient()
        if user is not None:
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_for(user)}")
        return client
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def outcome(client: Client, method: str, path: str) -> str:
    """Call ``path`` and classify the answer; the call's changes are rolled back, so every cell
    starts from the same world."""
    with transaction.atomic():
        if path.startswith("/api/"):
            response = getattr(client, method.lower())(path, {}, format="json")
        else:
            response = getattr(client, method.lower())(path)
        transaction.set_rollback(True)
    status = response.status_code
    if status in (301, 302) and response["Location"].startswith(("/sign-in/", "/admin/login/")):
        return "signin"
    if status in (401, 403, 404, 405):
        return str(status)
    if status >= 500:
        return f"error {status}"
    return "allow"
