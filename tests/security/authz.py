"""The fixtures and helpers behind the authorisation matrix (``authz_matrix.yaml``).

Two sets of objects, A and B, of the same shape: two panel meetings circulated to different
head teachers, an agenda item from which set A's head teacher is recused (and set B's is not),
two requests (each with a mediation and an appeal), two contracts (each with a deduction).
Each set also holds its request's case file, made through the services production uses: a
case note, a parent (by email) and a professional (by post), a letter to each with its PDF and
the parent's email message, a document on each kind of record documents are filed on (request,
advice request, panel referral, contract), a subject access request with its copy built, an
SEN2 return with its file and a retention run. Each matrix cell is called with set A's users and
set A's ids, and replayed with set A's users and set B's ids.

Where one route takes objects of several kinds (a document on a request, on an advice request,
on a referral or on a contract; a parent or a professional), the main cell calls the first and
each other kind is a *variant*: its own sections, ``"GET referral"`` and ``"GET referral set B"``.
Files go to the temporary folders the caller set (``MEDIA_ROOT`` and the documents storage).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from io import BytesIO
from typing import Any
from unittest.mock import patch

from django.contrib.auth.models import User
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from knox.models import AuthToken

from core.documents import document_upload
from core.models import Council, DocumentType
from core.roles import Role
from core.tokens import ID_LENGTH as TOKEN_ID_LENGTH
from panels.models import Declaration
from placements.services import contracts as contract_services
from placements.services.fee_reviews import fee_review_start
from reporting.models import RecomputeJob, ReportPdf
from reporting.sen2.services import sen2_return_request, sen2_return_run
from reporting.services import recompute_job_request, report_edition_save, report_pdf_run
from requests_app.models import AdviserType, Appeal, Mediation
from requests_app.people_models import OutboundMessage
from requests_app.services import contacts, letters, notes, retention, subject_access
from requests_app.services.letters import render_pdf as _render_pdf
from tests.conftest import api_token_for, make_user
from tests.core.document_files import pdf
from tests.panels.factories import (
    AgendaItemFactory,
    CirculatedMeetingFactory,
    HeadTeacherMemberFactory,
    PanelDecisionFactory,
    PanelMemberFactory,
    ReferralFactory,
)
from tests.placements.factories import (
    REVIEW,
    START,
    AttendanceReturnFactory,
    DeductionFactory,
    ProviderFactory,
    approved_decision,
)
from tests.requests_app.factories import (
    AdviceRequestFactory,
    AssessingRequestFactory,
    ChildFactory,
    ClockExceptionFactory,
)

# The roles a cell names: every role, the anonymous visitor, and the head teacher on the panel
# (a panel member who leads a school: the minimised view, recusal).
ROLE_KEYS = ["anon", *[role.value for role in Role], "head_teacher"]
OUTCOMES = {"allow", "signin", "401", "403", "404", "405"}
# An id that no set holds: only for the admin's own object pages (admin/<app>/<model>/<id>/…),
# which the matrix calls as the roles the admin turns away before it looks anything up. Every
# other route's object is a real one of its set; an object kind with no id here fails loudly.
MISSING = 999_999

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
    ids: dict[str, Any]  # object kind → id (or slug); "kind:variant" → that variant's
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
    contract = _active_contract(finance)
    line = contract.cost_lines.get()
    negotiation_round = contract.negotiation_rounds.get()
    deduction = DeductionFactory(attendance_return=AttendanceReturnFactory(contract=contract, submitted_by=finance))
    case_file = _case_file(label, request=request, advice=advice, referral=referral, contract=contract)
    fee_review = fee_review_start(
        actor=finance,
        contract=contract,
        received_on=date(2026, 6, 1),
        effective_from=date(2026, 9, 1),
        requested_annual_cost_pence=5_400_000,
        reasons="Synthetic: staff pay award",
    )
    api_token_for(sen.user)
    # The worker's run of the previous set's job, recorded: one job waits at a time.
    RecomputeJob.objects.filter(status=RecomputeJob.Status.QUEUED).update(status=RecomputeJob.Status.DONE)
    # A version of the committee report with its PDF drawn (the worker's step; a stand-in PDF
    # for the report's own drawing, which costs seconds of CPU and does not change who may read it).
    edition = report_edition_save(
        month=date(2026, 1 if label == "a" else 2, 1),
        district_id=None,
        prepared_by=make_user(Role.MANAGER, username="authz_manager_maker"),
        commentary={},
        sections=(),
    )
    report_pdf_run(pdf_id=ReportPdf.objects.get(edition=edition).pk, render=lambda edition, at: _PDF())
    recompute, _ = recompute_job_request(
        requested_by=make_user(Role.MANAGER, username="authz_manager_maker"),
        from_month=date(2026, 1 if label == "a" else 2, 1),
        to_month=date(2026, 3, 1),
    )
    return ObjectSet(
        ids={
            **case_file,
            "request": request.pk,
            "child": request.child_id,
            "advice": advice.pk,
            "exception": exception.pk,
            "request_decision": request.decisions.values_list("pk", flat=True)[0],
            "meeting": meeting.pk,
            "item": item.pk,
            "declaration": declaration.pk,
            "panel_decision": decision.pk,
            "referral": referral.pk,
            "contract": contract.pk,
            "provider": contract.provider_id,
            "cost_line": line.pk,
            "negotiation_round": negotiation_round.pk,
            # The open placement review contract_create scheduled from the panel's approval.
            "review": contract.reviews.values_list("pk", flat=True)[0],
            "mediation": mediation.pk,
            "appeal": appeal.pk,
            "deduction": deduction.pk,
            "fee_review": fee_review.pk,
            "fee_review_line": fee_review.lines.values_list("pk", flat=True)[0],
            "recompute_job": recompute.pk,
            "report_edition": edition.pk,
            "user": sen.user.pk,  # an account an administrator may reset
            "token": AuthToken.objects.filter(user=sen.user).values_list("digest", flat=True)[0][:TOKEN_ID_LENGTH],
            # Route parameters that name a kind of thing, not a row: a real one, alike in both sets.
            "queue": "fee-reviews",
            "fact": "received_on",
            "letter_kind": "request_received",
        },
        users={"panel_member": sen.user, "head_teacher": head.user},
    )


def _active_contract(finance: User) -> Any:
    """As ``make_active_contract``, with one negotiation round recorded before the agreement."""
    provider = ProviderFactory()
    decision = approved_decision(child=ChildFactory(), establishment=provider.establishment, ceiling_pence=5_500_000)
    contract = contract_services.contract_create(
        actor=finance, panel_decision=decision, provider=provider, start_on=START, end_on=None, annual_review_on=REVIEW
    )
    contract_services.contract_start_negotiation(actor=finance, contract=contract)
    contract_services.cost_line_add(
        actor=finance,
        contract=contract,
        category="tuition",
        quoted_amount_pence=5_200_000,
        agreed_amount_pence=5_000_000,
        period="year",
        periods_per_year=1,
    )
    contract_services.negotiation_round_record(
        actor=finance,
        contract=contract,
        on=timezone.localdate(),
        provider_offer_pence=5_100_000,
        council_counter_offer_pence=5_000_000,
    )
    return contract_services.contract_agree(actor=finance, contract=contract)


def _document(actor: User, kind: str, owner: Any, doc_type: str) -> int:
    return document_upload(
        actor=actor,
        kind=kind,
        owner=owner,
        doc_type=doc_type,
        document_date=timezone.localdate() - timedelta(days=1),
        supplied_by="Synthetic",
        file=BytesIO(_PDF()),
        filename="paper.pdf",
    ).pk


_pdf_bytes: list[bytes] = []
_letter_pdf_bytes: list[bytes] = []


def _one_letter_pdf(**values: Any) -> bytes:
    """The first letter's PDF, rendered by the service's own renderer, stands for every later
    one in this process: what a letter's PDF says does not change who may download it, and
    rendering one costs a quarter of a second of CPU (four per world, a world per role)."""
    if not _letter_pdf_bytes:
        _letter_pdf_bytes.append(_render_pdf(**values))
    return _letter_pdf_bytes[0]


def _PDF() -> bytes:  # noqa: N802  # one PDF, made once per process (each is the same)
    if not _pdf_bytes:
        _pdf_bytes.append(pdf())
    return _pdf_bytes[0]


def _case_file(label: str, *, request: Any, advice: Any, referral: Any, contract: Any) -> dict[str, Any]:
    """The request's case file in one set, each object made by its service."""
    officer = make_user(Role.SEN_OFFICER, username="authz_officer")
    finance = make_user(Role.FINANCE_OFFICER, username="authz_finance")
    dpo = make_user(Role.DATA_PROTECTION_OFFICER, username="authz_dpo_maker")
    manager = make_user(Role.MANAGER, username="authz_manager_maker")
    yesterday = timezone.localdate() - timedelta(days=1)
    note = notes.case_note_add(
        actor=officer,
        request=request,
        kind="phone_call",
        happened_on=yesterday,
        with_whom="Ms Example, SENCO",
        party="school",
        direction="out",
        summary=f"Synthetic call, set {label}",
    )
    parent = contacts.contact_add(
        actor=officer,
        request=request,
        kind="parent",
        name=f"Parent {label.upper()} Example",
        relationship="Mother",
        parental_responsibility=True,
        email=f"parent.{label}@example.org",
        preferred_contact="email",
    )
    professional = contacts.contact_add(
        actor=officer,
        request=request,
        kind="professional",
        name=f"Doctor {label.upper()} Example",
        professional_role="health",
        organisation="Synthetic NHS Trust",
        address="1 Example Road",
        postcode="ME14 1XX",
        preferred_contact="post",
    )
    made = letters.letter_issue(
        actor=officer, request=request, kind="request_received", contact_ids=[parent.pk, professional.pk]
    )
    with patch.object(letters, "render_pdf", _one_letter_pdf):
        made = [letters.letter_render(letter_id=letter.pk) for letter in made]  # the worker's step
    by_email = next(letter for letter in made if letter.contact_id == parent.pk)
    by_post = next(letter for letter in made if letter.contact_id == professional.pk)
    message = OutboundMessage.objects.get(letter=by_email)
    health_advice = AdviceRequestFactory(request=request, adviser_type=AdviserType.HEALTH, addressee="Health")
    sar = subject_access.sar_request(actor=dpo, child=request.child)
    subject_access.sar_build(sar.pk)  # the worker's job, run here: the copy is ready to download
    Council.objects.get_or_create(singleton=True, defaults={"name": "Synthetic Council", "la_number": "999"})
    census = date(timezone.localdate().year - (1 if label == "a" else 2), 1, 15)
    sen2 = sen2_return_run(return_id=sen2_return_request(census=census, user=manager).pk)
    run = retention.retention_review(today=yesterday if label == "a" else yesterday - timedelta(days=1))
    return {
        "case_note": note.pk,
        "contact": parent.pk,
        "contact:professional": professional.pk,
        "letter": by_email.pk,
        "letter:by_post": by_post.pk,
        "message": message.pk,
        "document": _document(officer, "request", request, DocumentType.SCHOOL_EVIDENCE),
        "document:advice_request": _document(officer, "advice_request", advice, DocumentType.EP_ADVICE),
        "document:referral": _document(officer, "referral", referral, DocumentType.PANEL_PAPER),
        "document:contract": _document(finance, "contract", contract, DocumentType.CONTRACT),
        # Advice asked of health, not of the EP service: the EP service may not see it.
        "document:health_advice": _document(officer, "advice_request", health_advice, DocumentType.HEALTH_ADVICE),
        "owner_kind": "request",
        "owner": request.pk,
        "owner_kind:advice_request": "advice_request",
        "owner:advice_request": advice.pk,
        "owner_kind:referral": "referral",
        "owner:referral": referral.pk,
        "owner_kind:contract": "contract",
        "owner:contract": contract.pk,
        "owner_kind:health_advice": "advice_request",
        "owner:health_advice": health_advice.pk,
        "subject_access": sar.pk,
        "sen2_return": sen2.pk,
        "retention_run": run.pk,
    }


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
    # A path naming one request and another child's contact or letter: no role gets it.
    for this, other in ((a, b), (b, a)):
        this.ids["contact:other_child"] = other.ids["contact"]
        this.ids["letter:other_child"] = other.ids["letter"]
    users[Role.PANEL_CHAIR.value] = chair
    users["panel_member"] = a.users["panel_member"]
    users["head_teacher"] = a.users["head_teacher"]
    return World(a=a, b=b, users=users)


# Which object each route parameter names: (key prefix, parameter) → object kind.
_PARAMETERS: list[tuple[str, str, str]] = [
    ("requests/access-log/children/", "child_pk", "child"),
    ("requests/subject-access/children/", "child_pk", "child"),
    ("requests/subject-access/", "pk", "subject_access"),
    ("requests/retention/", "pk", "retention_run"),
    ("requests/", "contact_pk", "contact"),
    ("requests/", "letter_pk", "letter"),
    ("documents/", "kind", "owner_kind"),
    ("documents/", "owner_pk", "owner"),
    ("documents/", "pk", "document"),
    ("dashboard/sen2/", "pk", "sen2_return"),
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
    ("placements/fee-reviews/", "pk", "fee_review"),
    ("placements/fee-review-lines/", "pk", "fee_review_line"),
    ("api/placements/fee-reviews/", "pk", "fee_review"),
    ("api/placements/fee-reviews/", "line_id", "fee_review_line"),
    ("placements/queues/", "queue", "queue"),
    ("api/placements/queues/", "queue", "queue"),
    ("requests/letter-templates/", "kind", "letter_kind"),
    ("requests/", "fact", "fact"),
    ("dashboard/recompute/", "pk", "recompute_job"),
    ("dashboard/report/edition/", "pk", "report_edition"),
    ("api/metrics/report-editions/", "pk", "report_edition"),
    ("security/users/", "pk", "user"),
    ("api/tokens/", "token_id", "token"),
    ("api/case-notes/", "pk", "case_note"),
    ("api/contacts/", "pk", "contact"),
    ("api/letters/", "pk", "letter"),
    ("api/messages/", "pk", "message"),
    ("api/documents/", "pk", "document"),
    ("api/metrics/sen2/", "pk", "sen2_return"),
    ("api/subject-access/", "pk", "subject_access"),
]


def object_kinds(key: str) -> list[str]:
    kinds = []
    for parameter in re.findall(r"<(\w+)>", key):
        if parameter == "anything":
            continue
        kind = next((k for prefix, p, k in _PARAMETERS if key.startswith(prefix) and p == parameter), None)
        kinds.append(kind or "missing")
    return kinds


def variants(key: str, ids: dict[str, Any]) -> list[str]:
    """The other kinds of object the route is called with besides its main cell (a document on
    a referral, a professional), each with its own sections in the matrix."""
    kinds = set(object_kinds(key))
    found = {name.split(":", 1)[1] for name in ids if ":" in name and name.split(":", 1)[0] in kinds}
    if "request" not in kinds:  # "other_child" pairs a request with another child's object
        found.discard("other_child")
    return sorted(found)


def concrete(key: str, ids: dict[str, Any], variant: str | None = None) -> str:
    path = key
    for kind in object_kinds(key):
        if kind == "missing":  # a parameter no set names: the admin's pages only
            assert key.startswith("admin/"), f"{key}: name its object kind in _PARAMETERS"
            value: Any = MISSING
        else:
            value = ids[f"{kind}:{variant}"] if variant and f"{kind}:{variant}" in ids else ids[kind]
        path = re.sub(r"<(?!anything)\w+>", str(value), path, count=1)
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
