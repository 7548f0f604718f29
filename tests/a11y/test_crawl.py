"""The accessibility crawl: every page of the product, as every role that may open it, scanned
with axe-core in headless Chromium (0 critical, 0 serious), and each form's empty-submission
error state where sending it empty changes nothing.

* Every URL pattern is discovered from the URLconf. Each is either crawled (``PAGE_OBJECTS``
  says which objects may fill its parameters) or listed in ``NOT_PAGES`` with the reason; a new
  pattern in neither list fails the test.
* Which roles may open a page is found, not listed: each role's GET through Django's test client;
  every role answered 200 is scanned in the browser. A crawled pattern no role can open fails.
* An empty POST is sent inside a transaction that is rolled back, so nothing changes; where it
  gives an error state, its error summary must name distinct fields in GOV.UK words, and that
  page is scanned too.
* One small data set (a request at each stage, a panel, a contract), made once; one browser
  page per role.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from core.roles import Role
from panels import workflow as panel_workflow
from panels.models import AgendaItem, Declaration, PanelDecision, PanelMeeting, PanelMember, Referral
from placements.models import (
    CostLine,
    Deduction,
    FeeReview,
    FeeReviewLine,
    NegotiationRound,
    PlacementContract,
    PlacementReview,
    Provider,
)
from placements.services.fee_reviews import fee_review_record_line, fee_review_start
from placements.workflow import Queue as PlacementQueue
from reporting.models import RecomputeJob, ReportEdition, ReportPdf, Sen2Return
from requests_app.models import (
    AdviceRequest,
    Appeal,
    AssessmentDecision,
    AssessmentRequest,
    ClockException,
    Contact,
    Mediation,
    RetentionRun,
    SubjectAccessRequest,
)
from requests_app.services import contacts as contact_services
from requests_app.services import lifecycle
from requests_app.services.corrections import child_correct
from requests_app.services.disputes import appeal_record_outcome, appeal_register, mediation_record
from requests_app.services.notes import case_note_add
from requests_app.services.retention import retention_review
from requests_app.services.subject_access import sar_request
from tests.a11y.test_error_messages import DJANGO_GENERIC
from tests.conftest import FAILING_IMPACTS, PERSONA_PASSWORD, axe_scan
from tests.panels import factories as panel_factories
from tests.placements import factories as placement_factories
from tests.requests_app import factories as request_factories

# URL patterns that are not pages, and why (each is tested elsewhere).
NOT_PAGES: dict[str, str] = {
    "api/": "the JSON API: no HTML (its schema and Swagger UI are for integrators, not staff)",
    "admin/": "Django's own admin, used by system administrators only (see the accessibility statement)",
    "healthz": "a JSON health check for the load balancer",
    "sign-out/": "POST only: signs out and redirects",
    "session/extend/": "POST only: the timeout warning's 'Stay signed in' (tests/a11y/test_timeout.py)",
    "session/keep/": "POST only: keeps a form's text when time runs out (tests/a11y/test_timeout.py)",
    "documents/<id:pk>/download/": "a file download, not a page (tests/core/test_documents.py)",
    "dashboard/sen2/<id:pk>/download/": "the SEN2 XML file, not a page (tests/dashboard/sen2/test_db.py)",
    "requests/<id:pk>/letters/<id:letter_pk>/download/": "a PDF attachment (tests/requests_app/test_people_doors.py)",
    "dashboard/recompute/": "POST only: queues a recompute (tests/dashboard/test_figures_stay_true.py)",
    "dashboard/report/commentary/": "POST only: a section's commentary (tests/dashboard/test_committee_report.py)",
    "dashboard/report/edition/<id:pk>/pdf/download/": "the stored PDF file (tests/dashboard/test_report_pdf.py)",
    "sign-in/code/": "the sign-in's second step, reached only by a password-only session (tests/core/test_mfa.py)",
    "account/two-step/recovery-codes/": "POST only: new recovery codes, shown once (tests/core/test_mfa.py)",
    "requests/subject-access/<id:pk>/download/": "a ZIP file (tests/requests_app/test_data_protection_pages.py)",
    "account/tokens/new/": "POST only: issues an API token (tests/core/test_api_tokens.py)",
    "account/tokens/revoke/": "POST only: revokes an API token (tests/core/test_api_tokens.py)",
    "security/users/<id:pk>/reset-two-step/": "POST only: resets a second factor (tests/core/test_mfa.py)",
}

Objects = Callable[[], Iterable[dict[str, Any]]]


def _each(queryset: Any, **names: str) -> Objects:
    """Candidate URL arguments from a queryset: ``pk`` and any other parameter from a field."""

    def candidates() -> Iterator[dict[str, Any]]:
        for obj in queryset.all().order_by("pk"):
            yield {"pk": obj.pk} | {param: getattr(obj, attribute) for param, attribute in names.items()}

    return candidates


def _pairs(queryset: Any, parent: str, child_param: str) -> Objects:
    def candidates() -> Iterator[dict[str, Any]]:
        for obj in queryset.all().order_by("pk"):
            yield {"pk": getattr(obj, f"{parent}_id"), child_param: obj.pk}

    return candidates


REQUESTS = _each(AssessmentRequest.objects)
MEETINGS = _each(PanelMeeting.objects)
ITEMS = _each(AgendaItem.objects)
REFERRALS = _each(Referral.objects)
CONTRACTS = _each(PlacementContract.objects)
NO_ARGUMENTS: Objects = lambda: [{}]  # noqa: E731


def _document_owners() -> Iterator[dict[str, Any]]:
    """Each kind of record documents are filed on (a few of each), for the documents pages."""
    for kind, queryset in (
        ("request", AssessmentRequest.objects),
        ("advice_request", AdviceRequest.objects),
        ("referral", Referral.objects),
        ("contract", PlacementContract.objects),
        ("placement_review", PlacementReview.objects),
    ):
        for obj in queryset.order_by("pk")[:3]:
            yield {"kind": kind, "owner_pk": obj.pk}


# URL name -> the objects that may fill its parameters (tried in turn until one opens).
PAGE_OBJECTS: dict[str, Objects] = {
    "home": NO_ARGUMENTS,
    "login": NO_ARGUMENTS,
    "accessibility": NO_ARGUMENTS,
    "privacy": NO_ARGUMENTS,
    "requests:queue": NO_ARGUMENTS,
    "account": NO_ARGUMENTS,
    "requests:subject-access-detail": _each(SubjectAccessRequest.objects),
    "requests:retention-detail": _each(RetentionRun.objects),
    "requests:subject-access-new": lambda: (
        {"child_pk": r.child_id} for r in AssessmentRequest.objects.order_by("pk")[:3]
    ),
    "mfa-setup": NO_ARGUMENTS,
    "sudo-confirm": NO_ARGUMENTS,
    "security-admin": NO_ARGUMENTS,
    "placements:queue-list": NO_ARGUMENTS,
    "placements:queue-detail": lambda: [{"queue": queue.value} for queue in PlacementQueue],
    "dashboard:recompute-job": _each(RecomputeJob.objects),
    "dashboard:report-pdf": _each(ReportEdition.objects),
    "requests:create": NO_ARGUMENTS,
    "requests:assign": NO_ARGUMENTS,
    "requests:advice-queue": NO_ARGUMENTS,
    "requests:advice-cancel": _pairs(AdviceRequest.objects, "request", "advice_pk"),
    "requests:advice-record": lambda: ({"advice_pk": a.pk} for a in AdviceRequest.objects.order_by("pk")),
    "requests:exception-remove": _pairs(ClockException.objects, "request", "exception_pk"),
    "requests:decision-letter": _pairs(AssessmentDecision.objects, "request", "decision_pk"),
    "requests:appeal-list": NO_ARGUMENTS,
    "requests:access-log": NO_ARGUMENTS,
    "requests:access-log-child": lambda: ({"child_pk": r.child_id} for r in AssessmentRequest.objects.order_by("pk")),
    "requests:mediation-update": _pairs(Mediation.objects, "request", "mediation_pk"),
    "requests:appeal-outcome": _pairs(Appeal.objects, "request", "appeal_pk"),
    "requests:appeal-compliance": _pairs(Appeal.objects, "request", "appeal_pk"),
    # Case notes and corrections (issue 13): one correction form of each kind of field.
    "requests:correct": lambda: (
        {"pk": r.pk, "fact": fact}
        for r in AssessmentRequest.objects.order_by("pk")
        for fact in ("date_of_birth", "name", "district", "received_on")
    ),
    "requests:outbox": NO_ARGUMENTS,
    "requests:digest": NO_ARGUMENTS,
    "requests:letter-templates": NO_ARGUMENTS,
    "requests:letter-template-edit": lambda: [{"kind": "decision_to_assess"}],
    "requests:contact-edit": lambda: (
        {"pk": r.pk, "contact_pk": c.pk}
        for r in AssessmentRequest.objects.order_by("pk")
        for c in Contact.objects.filter(child_id=r.child_id).order_by("pk")
    ),
    "requests:contact-remove": lambda: (
        {"pk": r.pk, "contact_pk": c.pk}
        for r in AssessmentRequest.objects.order_by("pk")
        for c in Contact.objects.filter(child_id=r.child_id).order_by("pk")
    ),
    "dashboard:home": NO_ARGUMENTS,
    "dashboard:cases": lambda: [{"query": f"metric=requests_received&month={date.today():%Y-%m}"}],
    "dashboard:report": NO_ARGUMENTS,
    "dashboard:report-annex": NO_ARGUMENTS,
    "dashboard:sen2": NO_ARGUMENTS,
    "dashboard:sen2-detail": _each(Sen2Return.objects),
    "panels:meeting-list": NO_ARGUMENTS,
    "panels:meeting-create": NO_ARGUMENTS,
    "panels:referral-list": NO_ARGUMENTS,
    "panels:referral-create": lambda: (
        {"query": f"request={r.pk}"} for r in AssessmentRequest.objects.filter(status="assessing").order_by("pk")
    ),
    "panels:item-withdraw": ITEMS,
    "panels:item-defer": ITEMS,
    "panels:declaration-correct": _each(Declaration.objects),
    "panels:decision-detail": _each(PanelDecision.objects),
    "panels:declare": ITEMS,
    "panels:decide": ITEMS,
    "panels:referral-detail": REFERRALS,
    "panels:referral-edit": REFERRALS,
    "placements:contract-list": NO_ARGUMENTS,
    "placements:contract-create": NO_ARGUMENTS,
    "placements:attendance-upload": NO_ARGUMENTS,
    "placements:provider-list": NO_ARGUMENTS,
    "placements:provider-create": NO_ARGUMENTS,
    "placements:purchasing-power": NO_ARGUMENTS,
    "placements:purchasing-power-years": NO_ARGUMENTS,
    "placements:cost-line-edit": _each(CostLine.objects),
    "placements:round-correct": _each(NegotiationRound.objects),
    "placements:deduction-confirm": _each(Deduction.objects),
    "placements:deduction-waive": _each(Deduction.objects),
    "placements:provider-detail": _each(Provider.objects),
    "placements:provider-edit": _each(Provider.objects),
    "placements:fee-review-start": CONTRACTS,
    "placements:fee-review-detail": _each(FeeReview.objects),
    "placements:fee-review-line": _each(FeeReviewLine.objects),
    "placements:fee-review-agree": _each(FeeReview.objects),
    "placements:fee-review-refuse": _each(FeeReview.objects),
    "placements:fee-review-withdraw": _each(FeeReview.objects),
    "documents:owner": _document_owners,
    "documents:upload": _document_owners,
    "placements:review-add": CONTRACTS,
    "placements:review-edit": _each(PlacementReview.objects.filter(outcome="")),
    "placements:review-outcome": _each(PlacementReview.objects.filter(outcome="")),
    "placements:case-reviews": NO_ARGUMENTS,
    "placements:provider-chase": _each(Provider.objects),
}
# The rest of each app's pages take the app's main object.
PAGE_OBJECTS_BY_PREFIX: dict[str, Objects] = {
    "requests:": REQUESTS,
    "panels:meeting-": MEETINGS,
    "panels:agenda-add": MEETINGS,
    "panels:circulate": MEETINGS,
    "panels:attendance": MEETINGS,
    "panels:mark-held": MEETINGS,
    "panels:pack": MEETINGS,
    "panels:minutes": MEETINGS,
    "placements:contract-": CONTRACTS,
    "placements:cost-line-add": CONTRACTS,
    "placements:round-add": CONTRACTS,
    "placements:penalty-clause": CONTRACTS,
    "placements:return-add": CONTRACTS,
}


@dataclass
class Pattern:
    route: str
    name: str | None

    def objects(self) -> Objects | None:
        if self.name in PAGE_OBJECTS:
            return PAGE_OBJECTS[self.name]
        for prefix, objects in sorted(PAGE_OBJECTS_BY_PREFIX.items(), key=lambda item: -len(item[0])):
            if self.name and self.name.startswith(prefix):
                return objects
        return None

    def excluded(self) -> bool:
        return any(self.route == prefix or self.route.startswith(prefix) for prefix in NOT_PAGES)


def url_patterns(resolver: Any = None, prefix: str = "", namespace: str = "") -> Iterator[Pattern]:
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from url_patterns(entry, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            yield Pattern(prefix + str(entry.pattern), f"{namespace}{entry.name}" if entry.name else None)


@dataclass
class Visit:
    pattern: Pattern
    path: str
    roles: list[Role] = field(default_factory=list)


def seed(personas: Any) -> None:
    """A small, fixed data set: a request at every stage, a panel with a meeting at each stage,
    a contract with a deduction."""
    officer, chair, finance = personas.officer, personas.chair, personas.finance
    factories = request_factories
    for maker in (
        factories.AssessmentRequestFactory,
        factories.EvaluatingRequestFactory,
        factories.AwaitingDecisionRequestFactory,
        factories.AssessingRequestFactory,
        factories.AwaitingIssueDecisionRequestFactory,
        factories.RefusedRequestFactory,
        factories.RefusedRequestFactory,  # two: one appeal ordered, one awaiting its outcome
        factories.DraftingRequestFactory,
        factories.DraftIssuedRequestFactory,
        factories.PlanIssuedRequestFactory,
        factories.NotIssuedRequestFactory,
        factories.WithdrawnRequestFactory,
    ):
        maker(assigned_officer=officer)
    # Disputes: a refusal with mediation sought, and an appeal (registered, and one ordered).
    today = timezone.localdate()
    for request in AssessmentRequest.objects.filter(status="refused"):
        mediation_record(
            actor=officer, request=request, against="refusal_to_assess", decision_letter_on=today - timedelta(days=20)
        )
        appeal = appeal_register(
            actor=officer,
            request=request,
            against="refusal_to_assess",
            decision_letter_on=today - timedelta(days=170),
            registered_on=today - timedelta(days=160),
        )
    appeal_record_outcome(
        actor=officer, appeal=appeal, outcome="upheld", decided_on=today - timedelta(weeks=20), order_type="assess"
    )
    # The case file: two parents and a head teacher, and the decision letters to them.
    deciding = factories.AwaitingDecisionRequestFactory(assigned_officer=officer)
    for kind, name, extra in (
        ("parent", "Ada Crawlparent", {"parental_responsibility": True}),
        ("parent", "Ben Crawlparent", {"parental_responsibility": True}),
        ("professional", "Cat Head", {"professional_role": "head_teacher", "organisation": "Crawl School"}),
    ):
        contact_services.contact_add(
            actor=officer,
            request=deciding,
            kind=kind,
            name=name,
            email=f"{name.split()[0].lower()}@example.org",
            **extra,
        )
    lifecycle.request_decide_assessment(
        actor=officer, request=deciding, outcome="assess", notified_on=today - timedelta(days=1)
    )
    assessing = AssessmentRequest.objects.filter(status="assessing").first()
    factories.AdviceRequestFactory(request=assessing, requested_by=officer)
    # The contact log and a corrected record (issue 13): the log's table and a before → after entry.
    case_note_add(
        actor=officer,
        request=assessing,
        kind="phone_call",
        happened_on=today - timedelta(days=2),
        with_whom="Parent",
        party="parent",
        direction="in",
        summary="Asked about the assessment",
    )
    child_correct(actor=officer, child=assessing.child_id, fact="postcode", value="CT1 1AA", reason="Checked")
    # A subject access request (its page) and the retention schedule's list (its page).
    sar_request(actor=personas.manager, child=assessing.child)
    retention_review()
    factories.ClockExceptionFactory(request=assessing, recorded_by=officer)
    PanelMember.objects.create(user=personas.panel_member, member_type="sen")
    PanelMember.objects.create(user=personas.ep, member_type="ep")
    panel_factories.PanelMemberFactory(member_type="finance")
    panel_factories.HeadTeacherMemberFactory()
    panel_factories.ScheduledMeetingFactory(chair=chair)
    circulated = panel_factories.CirculatedMeetingFactory(chair=chair)
    held = panel_factories.HeldMeetingFactory(chair=chair)
    listed = panel_factories.AgendaItemFactory(meeting=circulated, added_by=chair)
    Declaration.objects.create(
        member=PanelMember.objects.get(user=personas.panel_member),
        item=listed,
        nature=next(iter(panel_workflow.DeclarationNature)).value,
        declared_at=timezone.now(),
    )
    panel_factories.AgendaItemFactory(meeting=held, added_by=chair)
    panel_factories.ReferralFactory(referred_by=officer)
    contract = placement_factories.make_active_contract(actor=finance)
    placement_factories.DeductionFactory(
        attendance_return=placement_factories.AttendanceReturnFactory(contract=contract, submitted_by=finance)
    )
    negotiating = placement_factories.NegotiatingContractFactory()
    NegotiationRound.objects.create(
        contract=negotiating, round_no=1, on=today, provider_offer_pence=5_000_000, recorded_by=finance
    )
    placement_factories.DraftContractFactory()
    # An annual fee review being negotiated on the active contract.
    review = fee_review_start(
        actor=finance,
        contract=contract,
        received_on=today,
        effective_from=today + timedelta(days=30),
        requested_annual_cost_pence=5_400_000,
        reasons="Staff pay award",
    )
    fee_review_record_line(
        actor=finance, line=review.lines.first(), requested_amount_pence=5_400_000, agreed_amount_pence=None
    )
    # A SEN2 return made, with a finding, a disagreement and a case counted differently.
    plan = AssessmentRequest.objects.filter(status="plan_issued").first()
    Sen2Return.objects.create(
        census_date=date(2026, 1, 15),
        requested_by=personas.manager,
        requested_at=timezone.now(),
        finished_at=timezone.now(),
        status="done",
        progress=100,
        content=b"<Message/>",
        persons=1,
        error_count=1,
        report={
            "findings": [
                {
                    "rule": "L01",
                    "severity": "error",
                    "message": "An active plan has no primary need",
                    "person": "A Person",
                    "child_id": plan.child_id,
                    "request_id": plan.pk,
                },
            ],
            "comparison": {
                "year": 2025,
                "rows": [
                    {
                        "key": "requests_received",
                        "label": "Requests received",
                        "return": 1,
                        "dashboard": 2,
                        "agrees": False,
                    }
                ],
                "cases": [
                    {
                        "request_id": plan.pk,
                        "reference": plan.reference,
                        "only_in_return": [],
                        "only_on_dashboard": ["requests_received"],
                        "reason": "Not explained: check the case",
                        "explained": False,
                    }
                ],
            },
        },
    )
    # A saved version of the committee report whose PDF failed: the page's error summary and retry.
    edition = ReportEdition.objects.create(
        month=date(2025, 3, 1),
        version=1,
        commentary={"requests": "Requests rose."},
        prepared_by=personas.manager,
        prepared_at=timezone.now(),
    )
    ReportPdf.objects.create(
        edition=edition, status="failed", requested_at=timezone.now(), failure="Stopped: RuntimeError"
    )


def _path(pattern: Pattern, arguments: dict[str, Any]) -> str | None:
    needed = set(re.findall(r"<(?:\w+:)?(\w+)>", pattern.route))
    if not needed <= set(arguments):
        return None
    assert pattern.name is not None
    path = reverse(pattern.name, kwargs={name: arguments[name] for name in needed})
    return f"{path}?{arguments['query']}" if "query" in arguments else path


def find_visits(clients: dict[Role, Client], anonymous: Client) -> tuple[list[Visit], list[str]]:
    """Each page pattern with a path some role opens, and the roles that open it. A pattern every
    role answers 405 (Method Not Allowed) is an action: its form is on a page that is crawled."""
    visits, problems = [], []
    for pattern in url_patterns():
        if pattern.excluded():
            continue
        objects = pattern.objects()
        if objects is None:
            problems.append(f"{pattern.route} ({pattern.name}): not crawled; add it to PAGE_OBJECTS or NOT_PAGES")
            continue
        found = None
        for arguments in list(objects())[:20]:
            path = _path(pattern, arguments)
            if path is None:
                continue
            if pattern.name in {"login", "accessibility", "privacy"}:
                found = Visit(pattern, path, [])  # public: scanned signed out
                break
            statuses = {role: client.get(path).status_code for role, client in clients.items()}
            roles = [role for role, status in statuses.items() if status == 200]
            if roles or (405 in statuses.values() and set(statuses.values()) <= {302, 403, 405}):
                found = Visit(pattern, path, roles)
                break
        if found is None:
            problems.append(f"{pattern.route} ({pattern.name}): no role could open it with the crawl's data")
        elif found.roles or pattern.name in {"login", "accessibility", "privacy"}:
            visits.append(found)
    return visits, problems


# Moderate issues known today, as "url-name rule-id" lines: a moderate issue on a page that is
# not listed here is new and fails the crawl; a listed one that no longer occurs is reported so
# the list shrinks. CRAWL_WRITE_MODERATE_BASELINE=1 rewrites the file from a run.
MODERATE_BASELINE = Path(__file__).with_name("moderate_baseline.txt")


def axe_violations(page: Any, moderate: set[str] | None = None, where: str = "") -> list[dict[str, Any]]:
    """tests/conftest.py's scan: the serious and critical violations; moderate ones are added to
    ``moderate`` as "where rule-id"."""
    violations = axe_scan(page)
    if moderate is not None:
        moderate.update(f"{where} {v['id']}" for v in violations if v["impact"] == "moderate")
    return [v for v in violations if v["impact"] in FAILING_IMPACTS]


def moderate_problems(found: set[str]) -> list[str]:
    """New moderate issues (not in the baseline file), or the file rewritten when asked."""
    if os.environ.get("CRAWL_WRITE_MODERATE_BASELINE") == "1":
        header = "# Moderate axe issues known on the product's pages (url-name rule-id); see tests/a11y/test_crawl.py\n"
        MODERATE_BASELINE.write_text(header + "".join(f"{line}\n" for line in sorted(found)), encoding="utf-8")
        return []
    lines = MODERATE_BASELINE.read_text(encoding="utf-8").splitlines()
    known = {line.strip() for line in lines if line.strip() and not line.startswith("#")}
    return [f"new moderate issue: {line}" for line in sorted(found - known)]


_LINK = re.compile(r'<li><a href="[^"]*">(.*?)</a></li>', re.S)


def empty_submission(client: Client, path: str) -> str | None:
    """The page an empty POST gives, if it is an error state; nothing is kept either way."""
    with transaction.atomic():
        response = client.post(path, {})
        transaction.set_rollback(True)
    if response.status_code != 200:
        return None
    html = response.content.decode()
    return html if "govuk-error-summary" in html else None


def error_summary_problems(path: str, html: str) -> list[str]:
    summary = html.split('class="govuk-error-summary"', 1)[1].split("</ul>", 1)[0]
    links = [re.sub(r"<[^>]+>", "", link).strip() for link in _LINK.findall(summary)]
    problems = [f"{path}: generic message {link!r}" for link in links if any(g in link for g in DJANGO_GENERIC)]
    if len(links) != len(set(links)):
        problems.append(f"{path}: error summary links repeat: {links}")
    if "<title>Error: " not in html:
        problems.append(f"{path}: the error page's title does not start with 'Error: '")
    return problems


def _has_post_form(html: str) -> bool:
    main = html.split('id="main-content"', 1)[-1].split("</main>", 1)[0]
    return bool(re.search(r'<form method="post"', main, re.I))


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_every_page_as_every_role_that_may_open_it_passes_axe(browser, live_server, personas):
    seed(personas)
    # Make sure every role has a user, then a signed-in test client and browser page for each.
    clients: dict[Role, Client] = {}
    for role in Role:
        client = Client()
        client.force_login(personas.for_role(role))
        clients[role] = client
    quiet = logging.getLogger("django.request")
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)  # the many 403s and 405s of finding who may open what
    try:
        visits, problems = find_visits(clients, Client())
    finally:
        quiet.setLevel(level)

    pages: dict[Role | None, Any] = {}

    def page_for(role: Role | None) -> Any:
        if role not in pages:
            context = browser.new_context()
            page = context.new_page()
            if role is not None:
                # Through the real sign-in form: with DEBUG off the session cookie is
                # "__Host-sessionid", which only the server itself can set (Secure, no Domain).
                page.goto(f"{live_server.url}/sign-in/")
                page.get_by_label("Username").fill(personas.for_role(role).username)
                page.get_by_label("Password").fill(PERSONA_PASSWORD)
                page.get_by_role("button", name="Sign in").click()
                page.wait_for_load_state("domcontentloaded")
            pages[role] = page
        return pages[role]

    scanned = 0
    moderate: set[str] = set()
    for visit in visits:
        for role in visit.roles or [None]:
            page = page_for(role)
            response = page.goto(f"{live_server.url}{visit.path}")
            if response is None or response.status != 200:
                problems.append(f"{visit.path} as {role}: the browser got {response and response.status}")
                continue
            violations = axe_violations(page, moderate, visit.pattern.name or visit.pattern.route)
            scanned += 1
            if violations:
                problems.append(f"{visit.path} as {role}: {violations}")
        # The empty-submission error state, once per page (it is the same for each role).
        role = visit.roles[0] if visit.roles else None
        client = clients[role] if role is not None else Client()
        page = page_for(role)
        if role is None or not _has_post_form(page.content()):
            continue
        html = empty_submission(client, visit.path)
        if html is None:
            continue
        problems.extend(error_summary_problems(visit.path, html))
        page.set_content(html)  # same origin: the page's styles and scripts load as on the site
        violations = axe_violations(page, moderate, f"{visit.pattern.name or visit.pattern.route}(error)")
        scanned += 1
        if violations:
            problems.append(f"{visit.path} (empty submission) as {role}: {violations}")
    for page in pages.values():
        page.context.close()
    problems.extend(moderate_problems(moderate))
    assert problems == [], "\n".join(problems)
    assert scanned > len(visits)


def test_every_url_pattern_is_crawled_or_says_why_not():
    """Without a database: each pattern is in the crawl's map or in NOT_PAGES."""
    missing = [p.route for p in url_patterns() if not p.excluded() and p.objects() is None]
    assert missing == []
    # A pattern filled from an app's main object takes only its ``pk``.
    by_prefix = [p for p in url_patterns() if not p.excluded() and p.name not in PAGE_OBJECTS]
    assert [p.route for p in by_prefix if set(re.findall(r"<(?:\w+:)?(\w+)>", p.route)) - {"pk"}] == []
    assert {p.name for p in url_patterns() if not p.excluded()} >= {"home", "requests:queue", "dashboard:home"}
