"""Request pages through the Django test client: the queue, a new request, the record, each
action form, the decision letter, the advice queue and who may open what."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.models import AccessLog, NeedType
from core.roles import Role
from requests_app import clocks
from requests_app.models import AssessmentRequest, Child, ClockException, RequestEvent, RequestSource
from requests_app.workflow import Status
from tests.conftest import make_user, signed_in
from tests.requests_app.factories import (
    AdviceRequestFactory,
    AssessingRequestFactory,
    AwaitingDecisionRequestFactory,
    AwaitingIssueDecisionRequestFactory,
    ChildFactory,
    ClockExceptionFactory,
    DistrictFactory,
    DraftingRequestFactory,
    DraftIssuedRequestFactory,
    EstablishmentFactory,
    EvaluatingRequestFactory,
    ReceivedRequestFactory,
    RefusedRequestFactory,
    days_ago,
)

# In the representative set CI runs on the embedded default (SQLite, filesystem broker) too.
pytestmark = [pytest.mark.django_db, pytest.mark.embedded]


def date_fields(name: str, value: date) -> dict[str, str]:
    return {f"{name}_day": str(value.day), f"{name}_month": str(value.month), f"{name}_year": str(value.year)}


def error_summary(html: str) -> str:
    match = re.search(r'<div class="govuk-error-summary".*?</ul>', html, re.S)
    return match.group(0) if match else ""


def table_references(html: str) -> list[str]:
    return re.findall(r'href="/requests/\d+/">([^<]+)</a>', html)


def received(days: int) -> dict[str, Any]:
    return {"received_on": days_ago(days)}


# --- The triage queue -----------------------------------------------------------------------------


def test_queue_lists_open_requests_by_next_deadline_with_overdue_and_due_soon_text(personas):
    far = ReceivedRequestFactory(reference="REQ-FAR", **received(5))  # decision due in 37 days
    overdue = ReceivedRequestFactory(reference="REQ-LATE", **received(60))  # due 18 days ago
    soon = ReceivedRequestFactory(reference="REQ-SOON", **received(38))  # due in 4 days
    RefusedRequestFactory(reference="REQ-CLOSED")

    response = signed_in(personas.officer).get(reverse("requests:queue"))

    assert response.status_code == 200
    html = response.content.decode()
    assert table_references(html) == [overdue.reference, soon.reference, far.reference]
    assert "Overdue by 18 days" in html and 'class="app-overdue">Overdue by 18 days' in html
    assert 'class="app-due-soon">Due in 4 days' in html
    assert ">37 days<" in html
    assert "3 requests, 1 overdue" in html
    assert "Log a new request" in html


@pytest.fixture
def two_requests(personas) -> dict[str, AssessmentRequest]:
    """A 'target' and an 'other' request that differ in every filtered attribute."""
    officer = personas.officer
    target = EvaluatingRequestFactory(
        reference="REQ-TARGET",
        received_on=days_ago(50),  # decision target 8 days ago: overdue
        source=RequestSource.SCHOOL,
        assigned_officer=officer,
        child=ChildFactory(
            forename="Sam",
            surname="Holden",
            upn="A123456789012",
            date_of_birth=days_ago(17 * 366),
            district=DistrictFactory(name="Ashford"),
            primary_need=NeedType.SEMH,
        ),
    )
    other = ReceivedRequestFactory(
        reference="REQ-OTHER",
        received_on=days_ago(2),  # decision target in 40 days
        source=RequestSource.PARENT,
        child=ChildFactory(
            forename="Priya",
            surname="Khan",
            date_of_birth=days_ago(10 * 366),
            district=DistrictFactory(name="Thanet"),
            primary_need=NeedType.ASD,
        ),
    )
    return {"target": target, "other": other}


FILTER_CASES: list[tuple[str, Callable[[dict[str, AssessmentRequest]], dict[str, Any]], str]] = [
    ("stage", lambda r: {"status": Status.EVALUATING.value}, "target"),
    ("officer", lambda r: {"assigned_officer": r["target"].assigned_officer_id}, "target"),
    ("unassigned", lambda r: {"unassigned": "true"}, "other"),
    ("district", lambda r: {"district": r["other"].child.district_id}, "other"),
    ("source", lambda r: {"source": RequestSource.SCHOOL}, "target"),
    ("need", lambda r: {"need": NeedType.ASD}, "other"),
    ("age band", lambda r: {"age": "16-19"}, "target"),
    ("overdue", lambda r: {"overdue": "true"}, "target"),
    ("due within", lambda r: {"due_within": "45"}, "other"),
    ("search by name", lambda r: {"q": "sam hol"}, "target"),
    ("search by UPN", lambda r: {"q": "a123456789012"}, "target"),
    ("search by reference", lambda r: {"q": "req-other"}, "other"),
]


@pytest.mark.parametrize(("name", "params", "expected"), FILTER_CASES, ids=[c[0] for c in FILTER_CASES])
def test_each_queue_filter_narrows_the_results(personas, two_requests, name, params, expected):
    client = signed_in(personas.officer)
    everything = table_references(client.get(reverse("requests:queue")).content.decode())
    assert sorted(everything) == ["REQ-OTHER", "REQ-TARGET"]

    html = client.get(reverse("requests:queue"), params(two_requests)).content.decode()

    assert table_references(html) == [two_requests[expected].reference]
    assert "1 request," in html


def test_queue_can_show_closed_requests_and_sort_by_surname(personas):
    ReceivedRequestFactory(reference="REQ-OPEN", child=ChildFactory(surname="Zed"))
    RefusedRequestFactory(reference="REQ-SHUT", child=ChildFactory(surname="Abbot"))
    client = signed_in(personas.officer)
    assert table_references(client.get(reverse("requests:queue"), {"open": "false"}).content.decode()) == ["REQ-SHUT"]
    html = client.get(reverse("requests:queue"), {"open": "", "ordering": "child__surname"}).content.decode()
    assert table_references(html) == ["REQ-SHUT", "REQ-OPEN"]


def test_queue_is_paginated_25_to_a_page(personas):
    for n in range(30):
        ReceivedRequestFactory(reference=f"REQ-P{n:02d}", received_on=days_ago(n))
    client = signed_in(personas.officer)

    first = client.get(reverse("requests:queue")).content.decode()
    second = client.get(reverse("requests:queue"), {"page": 2}).content.decode()

    assert len(table_references(first)) == 25
    assert len(table_references(second)) == 5
    assert 'class="govuk-pagination app-print-hidden"' in first and 'rel="next"' in first
    assert 'aria-current="page">2<' in second
    assert "30 requests" in second
    # The oldest (most urgent) come first.
    assert table_references(first)[0] == "REQ-P29"


def test_bulk_assign_assigns_the_selected_requests_and_writes_an_event_each(personas):
    chosen = [ReceivedRequestFactory(), ReceivedRequestFactory()]
    left = ReceivedRequestFactory()
    officer = personas.other_officer

    response = signed_in(personas.officer).post(
        reverse("requests:assign"),
        {"requests": [r.pk for r in chosen], "officer": officer.pk, "return_query": "open=true"},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("requests:queue") + "?open=true"
    for request in chosen:
        request.refresh_from_db()
        assert request.assigned_officer == officer
        assert RequestEvent.objects.filter(request=request, action="assign").count() == 1
    left.refresh_from_db()
    assert left.assigned_officer is None
    follow = signed_in(personas.officer).get(response["Location"])
    assert follow.status_code == 200


def test_bulk_assign_without_a_selection_shows_the_error_summary(personas):
    request = ReceivedRequestFactory()
    response = signed_in(personas.officer).post(reverse("requests:assign"), {"officer": personas.officer.pk})
    assert response.status_code == 200
    assert "Select at least one request to assign" in error_summary(response.content.decode())
    assert not RequestEvent.objects.filter(request=request, action="assign").exists()


def test_queue_query_count_does_not_grow_with_rows(personas, django_assert_num_queries):
    client = signed_in(personas.officer)
    officer = personas.officer
    ReceivedRequestFactory(assigned_officer=officer)
    client.get(reverse("requests:queue"))  # warm the session and caches
    with CaptureQueriesContext(connection) as one:
        assert client.get(reverse("requests:queue")).status_code == 200
    for _ in range(49):
        ReceivedRequestFactory(assigned_officer=officer)
    # The number measured with 1 request must hold with 50 (25 shown on the page).
    with django_assert_num_queries(len(one.captured_queries)):
        response = client.get(reverse("requests:queue"))
    assert "50 requests" in response.content.decode()


# --- New request ---------------------------------------------------------------------------------


@pytest.fixture
def new_request_data() -> Callable[..., dict[str, Any]]:
    district = DistrictFactory(name="Maidstone")
    school = EstablishmentFactory()

    def build(**overrides: Any) -> dict[str, Any]:
        data: dict[str, Any] = {
            "forename": "Ellie",
            "surname": "Marsh",
            **date_fields("date_of_birth", date(2015, 6, 3)),
            "sex": "F",
            "upn": "",
            "postcode": "me14 1xx",
            "district": district.pk,
            "current_establishment": school.pk,
            "primary_need": NeedType.SLCN,
            "secondary_need": "",
            **date_fields("received_on", days_ago(21)),
            "source": RequestSource.PARENT,
            "requester_name": "Jo Marsh",
            "requester_relationship": "Mother",
            "requester_email": "jo@example.com",
            "requester_phone": "01622 000000",
        }
        data.update(overrides)
        return data

    return build


def test_new_request_is_created_and_shown_with_a_success_banner(personas, new_request_data):
    client = signed_in(personas.officer)
    assert client.get(reverse("requests:create")).status_code == 200

    response = client.post(reverse("requests:create"), new_request_data(), follow=True)

    request = AssessmentRequest.objects.get()
    assert response.redirect_chain[-1][0] == reverse("requests:detail", args=[request.pk])
    html = response.content.decode()
    assert "govuk-notification-banner--success" in html and f"Request {request.reference} logged" in html
    assert request.received_on == days_ago(21)
    assert request.child.full_name == "Ellie Marsh"
    assert request.child.postcode == "ME14 1XX"
    assert request.requester_name == "Jo Marsh"


def test_new_request_warns_of_a_likely_duplicate_then_creates_once_confirmed(personas, new_request_data):
    existing = ReceivedRequestFactory(
        child=ChildFactory(forename="Ellie", surname="Marsh", date_of_birth=date(2015, 6, 3))
    )
    client = signed_in(personas.officer)

    warned = client.post(reverse("requests:create"), new_request_data())

    assert warned.status_code == 200
    html = warned.content.decode()
    assert "This child may already be recorded" in html
    assert "EM – Ellie Marsh" in html and "3 June 2015" in html
    assert f'href="/requests/{existing.pk}/">{existing.reference}</a>' in html
    assert 'name="confirm_not_duplicate"' in html
    assert Child.objects.count() == 1

    confirmed = client.post(
        reverse("requests:create"),
        new_request_data(confirm_not_duplicate="on", not_duplicate_reason="Different school and parents"),
    )

    assert confirmed.status_code == 302
    assert Child.objects.count() == 2
    assert AssessmentRequest.objects.count() == 2


def test_new_request_can_use_an_existing_child_without_an_open_request(personas, new_request_data):
    child = RefusedRequestFactory(
        child=ChildFactory(forename="Ellie", surname="Marsh", date_of_birth=date(2015, 6, 3))
    ).child
    client = signed_in(personas.officer)
    warned = client.post(reverse("requests:create"), new_request_data()).content.decode()
    assert f'name="use_child" value="{child.pk}"' in warned

    response = client.post(reverse("requests:create"), new_request_data(use_child=child.pk))

    assert response.status_code == 302
    assert Child.objects.count() == 1
    assert child.requests.open().count() == 1


def test_new_request_for_a_child_with_an_open_request_shows_the_error_summary(personas, new_request_data):
    child = ReceivedRequestFactory(
        child=ChildFactory(forename="Ellie", surname="Marsh", date_of_birth=date(2015, 6, 3))
    ).child

    response = signed_in(personas.officer).post(reverse("requests:create"), new_request_data(use_child=child.pk))

    assert response.status_code == 200
    summary = error_summary(response.content.decode())
    assert "This child already has a request in progress" in summary
    assert 'href="#duplicates"' in summary
    assert AssessmentRequest.objects.count() == 1


def test_new_request_refuses_a_received_date_in_the_future(personas, new_request_data):
    data = new_request_data(**date_fields("received_on", date.today() + timedelta(days=3)))
    response = signed_in(personas.officer).post(reverse("requests:create"), data)
    assert response.status_code == 200
    assert "The date must be today or in the past" in error_summary(response.content.decode())
    assert not AssessmentRequest.objects.exists()


# --- The request's record ------------------------------------------------------------------------


def test_detail_shows_the_clocks_and_timeline_and_logs_each_view_once(personas):
    request = AssessingRequestFactory(received_on=days_ago(30))
    ClockExceptionFactory(
        request=request, start=request.received_on + timedelta(days=5), end=request.received_on + timedelta(days=9)
    )
    # The stored clocks include the exception, as the services would have left them.
    from requests_app.services.common import refresh_clocks

    refresh_clocks(request)
    request.save()
    RequestEvent.objects.create(request=request, action="created", to_status="received", payload={"clocks": {}})
    RequestEvent.objects.create(
        request=request,
        actor=personas.officer,
        action="decide_to_assess",
        from_status="received",
        to_status="assessing",
        payload={"clocks": {"next_deadline_on": request.not_issue_target_on.isoformat()}},
    )
    client = signed_in(personas.officer)
    expected = clocks.request_clocks(request.received_on, [e.as_period() for e in request.clock_exceptions.all()])

    before = AccessLog.objects.count()
    response = client.get(reverse("requests:detail", args=[request.pk]))
    assert AccessLog.objects.count() == before + 1
    client.get(reverse("requests:detail", args=[request.pk]))
    assert AccessLog.objects.count() == before + 2

    html = response.content.decode()
    row = AccessLog.objects.order_by("-pk").first()
    assert (row.user, row.child_id, row.object_id, row.action) == (
        personas.officer,
        request.child_id,
        request.pk,
        "view",
    )
    assert f"Statutory due date: {expected.decision_due_on:%-d %B %Y}" in html
    assert f"Statutory due date: {expected.not_issue_due_on:%-d %B %Y}" in html
    assert f"Statutory due date: {expected.final_plan_due_on:%-d %B %Y}" in html
    assert f"Adjusted target: {expected.final_plan_target_on:%-d %B %Y}" in html
    assert 'id="week20">Yes<' in html
    timeline = html[html.index('class="app-timeline"') :]
    assert timeline.index("Request received") < timeline.index("Decided to assess")
    assert "Status: Received to Assessing" in timeline
    assert f"Next deadline after this: {request.not_issue_target_on:%-d %B %Y}" in timeline
    # Only the actions an officer may take now.
    actions = html[html.index('id="actions"') :]
    assert "Request advice" in actions and "Start the provision evaluation" not in actions


def test_detail_actions_depend_on_the_role(personas):
    request = ReceivedRequestFactory()
    evaluator_html = signed_in(personas.evaluator).get(reverse("requests:detail", args=[request.pk])).content.decode()
    assert "Start the provision evaluation" in evaluator_html and "Decide whether to assess" not in evaluator_html
    officer_html = signed_in(personas.officer).get(reverse("requests:detail", args=[request.pk])).content.decode()
    assert "Decide whether to assess" in officer_html and "Start the provision evaluation" not in officer_html


def test_refer_action_opens_the_panels_referral_form(personas):
    # The panel's form makes the referral (and the timeline entry); the request pages have no
    # referral page of their own.
    request = AssessingRequestFactory()
    html = signed_in(personas.officer).get(reverse("requests:detail", args=[request.pk])).content.decode()
    actions = html[html.index('id="actions"') :]
    form = f"{reverse('panels:referral-create')}?request={request.pk}"
    assert f'href="{form}">Refer to the placement panel</a>' in actions
    assert signed_in(personas.officer).get(f"/requests/{request.pk}/refer/").status_code == 404


# --- Action forms --------------------------------------------------------------------------------


@dataclass
class ActionCase:
    name: str
    make: Callable[[], Any]  # the object the URL needs
    url: Callable[[Any], str]
    user: str  # a Personas attribute
    valid: Callable[[Any, Any], dict[str, Any]]
    event: str
    invalid: dict[str, Any] | None = None
    message: str = ""
    check: Callable[[Any], None] = field(default=lambda obj: None)


def _req(obj: Any) -> AssessmentRequest:
    return obj if isinstance(obj, AssessmentRequest) else obj.request


def _detail_url(name: str) -> Callable[[Any], str]:
    return lambda obj: reverse(f"requests:{name}", args=[obj.pk])


TODAY_FIELDS = lambda name: date_fields(name, date.today())  # noqa: E731

ACTION_CASES = [
    ActionCase(
        "assign",
        ReceivedRequestFactory,
        _detail_url("assign-one"),
        "officer",
        lambda obj, p: {"officer": p.other_officer.pk},
        "assign",
        {},
        "Select the officer to assign the request to",
    ),
    ActionCase(
        "start evaluation",
        ReceivedRequestFactory,
        _detail_url("start-evaluation"),
        "evaluator",
        lambda o, p: {},
        "start_evaluation",
    ),
    ActionCase(
        "provision evaluation",
        EvaluatingRequestFactory,
        _detail_url("evaluation"),
        "evaluator",
        lambda o, p: {
            "evidence": ["schools_views_received", "progress_data"],
            "apdr_cycles": "2",
            "recommendation": "assess",
            "complete": "yes",
        },
        "complete_evaluation",
        {"apdr_cycles": "2", "complete": "yes"},
        "Select a recommendation",
    ),
    ActionCase(
        "decide whether to assess",
        AwaitingDecisionRequestFactory,
        _detail_url("decide-assessment"),
        "officer",
        lambda o, p: {"outcome": "assess", **TODAY_FIELDS("notified_on"), "assess_reasons": ["has_or_may_have_sen"]},
        "decide_to_assess",
        {"outcome": "refuse", **date_fields("notified_on", date.today()), "rights_text_sent": "on"},
        "Select at least one reason the s.36(8) test is not met",
    ),
    ActionCase(
        "request advice",
        AssessingRequestFactory,
        _detail_url("advice-new"),
        "officer",
        lambda o, p: {
            "adviser_type": "educational_psychology",
            "addressee": "EP Service",
            **TODAY_FIELDS("requested_on"),
        },
        "request_advice",
        {"adviser_type": "educational_psychology", **date_fields("requested_on", date.today())},
        "Enter the service or person asked for advice",
    ),
    ActionCase(
        "record advice",
        AdviceRequestFactory,
        lambda obj: reverse("requests:advice-record", args=[obj.pk]),
        "officer",
        lambda o, p: {**TODAY_FIELDS("received_on"), "notes": "Report attached"},
        "record_advice",
        date_fields("received_on", date.today() + timedelta(days=2)),
        "The date must be today or in the past",
    ),
    ActionCase(
        "complete assessment",
        AssessingRequestFactory,
        _detail_url("complete-assessment"),
        "officer",
        lambda o, p: {},
        "complete_assessment",
    ),
    ActionCase(
        "decide whether to issue",
        AwaitingIssueDecisionRequestFactory,
        _detail_url("decide-issue"),
        "officer",
        lambda o, p: {"outcome": "issue", **TODAY_FIELDS("notified_on")},
        "decide_to_issue",
        {"outcome": "not_issue", **date_fields("notified_on", date.today()), "rights_text_sent": "on"},
        "Enter the reasons a plan is not necessary",
    ),
    ActionCase(
        "issue draft",
        DraftingRequestFactory,
        _detail_url("issue-draft"),
        "officer",
        lambda o, p: TODAY_FIELDS("issued_on"),
        "issue_draft",
        {},
        "Enter the date the draft plan was issued",
    ),
    ActionCase(
        "record family comments",
        DraftIssuedRequestFactory,
        _detail_url("family-comments"),
        "officer",
        lambda o, p: TODAY_FIELDS("received_on"),
        "record_family_comments",
        {"received_on_day": "31", "received_on_month": "2", "received_on_year": "2025"},
        "must be a real date",
    ),
    ActionCase(
        "issue final plan",
        lambda: DraftIssuedRequestFactory(draft_issued_on=days_ago(20)),
        _detail_url("issue-final"),
        "officer",
        lambda o, p: {
            **TODAY_FIELDS("issued_on"),
            "named_establishment": EstablishmentFactory().pk,
            "placement_type": "mainstream",
        },
        "issue_final",
        {**date_fields("issued_on", date.today())},
        "Select the type of placement named in the plan",
    ),
    ActionCase(
        "add exception",
        AssessingRequestFactory,
        _detail_url("exception-add"),
        "officer",
        lambda o, p: {
            "kind": "personal_circumstances",
            **date_fields("start", days_ago(20)),
            **date_fields("end", days_ago(10)),
            "evidence": "Hospital letter",
        },
        "add_exception",
        {
            "kind": "school_closure",
            **date_fields("start", days_ago(20)),
            **date_fields("end", days_ago(10)),
            "evidence": "Closed",
        },
        "A school or setting closure is an exception only if it lasts at least 4 continuous weeks",
    ),
    ActionCase(
        "remove exception",
        ClockExceptionFactory,
        lambda obj: reverse("requests:exception-remove", args=[obj.request_id, obj.pk]),
        "officer",
        lambda o, p: {"reason": "Recorded against the wrong child"},
        "remove_exception",
        {"reason": ""},
        "Enter why the exception is being removed",
    ),
    ActionCase(
        "withdraw",
        ReceivedRequestFactory,
        _detail_url("withdraw"),
        "officer",
        lambda o, p: {"reason": "Family moved away", **TODAY_FIELDS("withdrawn_on")},
        "withdraw",
        {"reason": "Family moved away"},
        "Enter the date the request was withdrawn",
    ),
    ActionCase(
        "reopen",
        RefusedRequestFactory,
        _detail_url("reopen"),
        "manager",
        lambda o, p: {"reason": "Agreed at mediation"},
        "reopen",
        {"reason": ""},
        "Enter why the request is being reopened",
    ),
]


@pytest.mark.parametrize("case", ACTION_CASES, ids=[c.name for c in ACTION_CASES])
def test_action_form_happy_path(personas, case):
    obj = case.make()
    request = _req(obj)
    client = signed_in(getattr(personas, case.user))
    url = case.url(obj)
    page = client.get(url)
    assert page.status_code == 200, page.content.decode()[:500]
    assert "<form" in page.content.decode()

    response = client.post(url, case.valid(obj, personas))

    assert response.status_code == 302, error_summary(response.content.decode())
    assert RequestEvent.objects.filter(request=request, action=case.event).count() == 1
    shown = client.get(response["Location"]).content.decode()
    assert "govuk-notification-banner--success" in shown


@pytest.mark.parametrize("case", [c for c in ACTION_CASES if c.invalid is not None], ids=lambda c: c.name)
def test_action_form_invalid_submission_shows_the_error_and_saves_nothing(personas, case):
    obj = case.make()
    request = _req(obj)
    status = request.status
    events = RequestEvent.objects.filter(request=request).count()
    exceptions = ClockException.objects.count()

    response = signed_in(getattr(personas, case.user)).post(case.url(obj), case.invalid)

    assert response.status_code == 200
    html = response.content.decode()
    assert case.message in error_summary(html)
    assert 'class="govuk-error-message"' in html or 'href="#main-content"' in error_summary(html)
    request.refresh_from_db()
    assert request.status == status
    assert RequestEvent.objects.filter(request=request).count() == events
    assert ClockException.objects.count() == exceptions


def test_final_plan_before_the_families_15_days_is_refused_with_the_reg_13_1_message(personas):
    request = DraftIssuedRequestFactory(draft_issued_on=days_ago(5))
    earliest = clocks.earliest_final_plan_on(request.draft_issued_on)
    response = signed_in(personas.officer).post(
        reverse("requests:issue-final", args=[request.pk]),
        {
            **date_fields("issued_on", date.today()),
            "named_establishment": EstablishmentFactory().pk,
            "placement_type": "mainstream",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    message = f"The final plan cannot be issued before {earliest:%-d %B %Y}"
    assert message in error_summary(html)
    assert "(reg 13(1))" in error_summary(html)
    # On the date field itself, too.
    assert re.search(r'id="id_issued_on-error">.*?' + re.escape(message), html, re.S)
    request.refresh_from_db()
    assert request.status == Status.DRAFT_ISSUED


def test_an_action_not_allowed_now_sends_the_user_back_with_the_reason(personas):
    request = ReceivedRequestFactory()
    response = signed_in(personas.officer).get(reverse("requests:issue-draft", args=[request.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("requests:detail", args=[request.pk])
    assert "cannot have a draft plan issued" in response.content.decode()


# --- Decision letter -----------------------------------------------------------------------------


def test_refusal_letter_sets_out_appeal_mediation_and_sendias_and_is_logged_as_printed(personas):
    request = RefusedRequestFactory(requester_name="Jo Marsh")
    decision = request.decisions.get()
    decision.reasons_text = "Good progress with the school's current support."
    decision.save()

    response = signed_in(personas.officer).get(reverse("requests:decision-letter", args=[request.pk, decision.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Dear Jo Marsh" in html
    assert request.child.full_name in html
    assert "Decision not to carry out an education, health and care needs assessment" in html
    assert "Needs can be met from resources normally available (SEN support)" in html
    assert "Good progress with the school" in html
    assert "SEND Tribunal" in html and "within 2 months of the date of this letter" in html
    assert "contact the mediation adviser within 2 months" in html and "regulation 32" in html
    assert "SENDIAS" in html
    assert "through SEN support" in html
    log = AccessLog.objects.get(action="print")
    assert (log.user, log.child_id) == (personas.officer, request.child_id)


# --- Advice queue --------------------------------------------------------------------------------


def test_advice_queue_shows_an_ep_only_educational_psychology_advice_oldest_first(personas):
    older = AdviceRequestFactory(requested_on=days_ago(60), due_on=days_ago(18), target_on=days_ago(18))
    newer = AdviceRequestFactory(requested_on=days_ago(3), due_on=days_ago(-39), target_on=days_ago(-39))
    health = AdviceRequestFactory(adviser_type="health", addressee="Community paediatrics")

    html = signed_in(personas.ep).get(reverse("requests:advice-queue")).content.decode()

    assert html.index(older.request.child.full_name) < html.index(newer.request.child.full_name)
    assert health.request.child.full_name not in html
    assert "Overdue by 18 days" in html
    assert f'/requests/{older.request.pk}/"' not in html  # an EP cannot open the request
    assert reverse("requests:advice-record", args=[older.pk]) in html

    officer_html = signed_in(personas.officer).get(reverse("requests:advice-queue")).content.decode()
    assert health.request.child.full_name in officer_html
    filtered = signed_in(personas.officer).get(reverse("requests:advice-queue"), {"adviser_type": "health"})
    assert older.request.child.full_name not in filtered.content.decode()


def test_ep_records_advice_from_the_queue_and_returns_to_it(personas):
    advice = AdviceRequestFactory()
    client = signed_in(personas.ep)
    url = reverse("requests:advice-record", args=[advice.pk])
    assert client.get(url + "?from=queue").status_code == 200
    response = client.post(url, {**date_fields("received_on", date.today()), "from": "queue"})
    assert response.status_code == 302 and response["Location"] == reverse("requests:advice-queue")
    advice.refresh_from_db()
    assert advice.received_on == date.today()


def test_ep_cannot_record_advice_asked_of_another_service(personas):
    advice = AdviceRequestFactory(adviser_type="health")
    assert signed_in(personas.ep).get(reverse("requests:advice-record", args=[advice.pk])).status_code == 404


# --- Who may open what ---------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["panel_member", "head_teacher", "finance"])
def test_people_without_request_access_cannot_open_a_record_or_the_queue(personas, persona):
    request = RefusedRequestFactory()
    decision = request.decisions.get()
    client = signed_in(getattr(personas, persona))
    for url in (
        reverse("requests:queue"),
        reverse("requests:detail", args=[request.pk]),
        reverse("requests:decision-letter", args=[request.pk, decision.pk]),
        reverse("requests:create"),
        reverse("requests:advice-queue"),
    ):
        assert client.get(url).status_code == 403, url
    assert AccessLog.objects.reads().count() == 0


def test_anonymous_users_are_sent_to_sign_in(db):
    request = ReceivedRequestFactory()
    for url in (reverse("requests:queue"), reverse("requests:detail", args=[request.pk])):
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_ep_cannot_open_the_queue_or_a_record(personas):
    request = AssessingRequestFactory()
    client = signed_in(personas.ep)
    assert client.get(reverse("requests:queue")).status_code == 403
    assert client.get(reverse("requests:detail", args=[request.pk])).status_code == 403


def test_evaluator_can_open_the_evaluation_but_not_the_decision_forms(personas):
    request = EvaluatingRequestFactory()
    client = signed_in(personas.evaluator)
    assert client.get(reverse("requests:evaluation", args=[request.pk])).status_code == 200
    assert client.get(reverse("requests:decide-assessment", args=[request.pk])).status_code == 403
    assert (
        client.post(reverse("requests:decide-assessment", args=[request.pk]), {"outcome": "assess"}).status_code == 403
    )
    assert client.post(reverse("requests:assign", args=[]), {"requests": [request.pk]}).status_code == 403


def test_an_officer_cannot_reopen_only_senior_officers_can(personas):
    request = RefusedRequestFactory()
    assert signed_in(personas.officer).get(reverse("requests:reopen", args=[request.pk])).status_code == 403
    assert signed_in(personas.manager).get(reverse("requests:reopen", args=[request.pk])).status_code == 200


def test_no_role_user_is_refused(db):
    user = make_user(username="norole")
    assert signed_in(user).get(reverse("requests:queue")).status_code == 403
    assert Role.SEN_OFFICER  # roles are the only way in
