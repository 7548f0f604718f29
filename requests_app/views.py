"""Pages for EHC needs-assessment requests: the triage queue, a new request, the request's
record with its clocks and timeline, one form per action, the decision letter and the advice
queue.

Views are thin: they check the capability, parse a form, call exactly one service and render.
Services own every change and raise domain errors, which go back on the form as a GOV.UK error
summary (``form_add_domain_error``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from core.access import access_log_record, access_log_record_many
from core.api import CappedPaginator, capped_count
from core.errors import DomainError
from core.ids import query_id
from core.links import cross_layer_url
from core.models import AccessAction
from core.pages import ActionPage, form_add_domain_error, pagination, requires
from core.roles import Capability, user_can
from requests_app import clocks, corrections, timeline_data, workflow
from requests_app.filters import plain_selects
from requests_app.forms import (
    AdviceFilterForm,
    AdviceReceivedForm,
    AdviceRequestForm,
    AssignForm,
    BulkAssignForm,
    ConfirmForm,
    DecideAssessmentForm,
    DecideIssueForm,
    DraftForm,
    EvaluationForm,
    ExceptionForm,
    FamilyCommentsForm,
    FinalPlanForm,
    NewRequestForm,
    QueueFilter,
    ReasonForm,
    WithdrawForm,
)
from requests_app.models import (
    AdviceRequest,
    AssessmentDecision,
    AssessmentRequest,
    Child,
    ClockException,
    DecisionOutcome,
    DecisionStage,
    ProvisionEvaluation,
    RequestEvent,
    Sen2Outcome,
)
from requests_app.services import letters as letter_services
from requests_app.services.advice import (
    advice_cancel,
    advice_record_received,
    advice_request_create,
    exception_add,
    exception_remove,
)
from requests_app.services.children import PossibleDuplicate, find_duplicates
from requests_app.services.lifecycle import (
    assessment_complete,
    evaluation_record,
    evaluation_start,
    plan_issue_draft,
    plan_issue_final,
    plan_record_family_comments,
    request_assign,
    request_create,
    request_decide_assessment,
    request_decide_issue,
    request_record_view,
    request_reopen,
    request_withdraw,
)

Action = workflow.Action
Status = workflow.Status

QUEUE_PAGE_SIZE = 25


def _visible_request(user: Any, pk: int) -> AssessmentRequest:
    return get_object_or_404(
        AssessmentRequest.objects.visible_to(user).select_related(
            "child", "child__district", "child__current_establishment", "assigned_officer", "named_establishment"
        ),
        pk=pk,
    )


# --- Reading deadlines -------------------------------------------------------------------------


def _days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


@dataclass(frozen=True)
class Deadline:
    """A deadline as people read it: text that says it all, and a style that repeats it."""

    text: str
    css: str = ""


def deadline_state(due: date | None, *, today: date) -> Deadline:
    if due is None:
        return Deadline("No deadline")
    left = clocks.days_left(due, today=today)
    urgency = clocks.urgency(due, today=today)
    if urgency == "overdue":
        return Deadline(f"Overdue by {_days(-left)}", "app-overdue")
    if left == 0:
        return Deadline("Due today", "app-due-soon")
    if urgency == "due_soon":
        return Deadline(f"Due in {_days(left)}", "app-due-soon")
    return Deadline(_days(left))


def _done_state(done_on: date, target: date, verb: str = "Met") -> Deadline:
    if done_on <= target:
        return Deadline(f"{verb} on {done_on:%-d %B %Y}")
    return Deadline(f"Done on {done_on:%-d %B %Y}, {_days((done_on - target).days)} late", "app-overdue")


STAGE_TAG_COLOURS: dict[str, str] = {
    "Deciding whether to assess": "govuk-tag--blue",
    "Needs assessment": "govuk-tag--purple",
    "EHC plan": "govuk-tag--turquoise",
    "Closed": "govuk-tag--grey",
}


def status_tag(status: str) -> dict[str, str]:
    stage = workflow.stage_label(status)
    return {"label": Status(status).label, "stage": stage, "css": STAGE_TAG_COLOURS.get(stage, "")}


# --- Triage queue ------------------------------------------------------------------------------


def _queue_data(params: QueryDict) -> QueryDict:
    data = params.copy()
    if "open" not in data:
        data["open"] = "true"  # every open request by default
    data.pop("page", None)
    return data


@requires(Capability.REQUEST_VIEW)
def queue(
    request: HttpRequest, bulk_form: BulkAssignForm | None = None, params: QueryDict | None = None
) -> HttpResponse:
    today = timezone.localdate()
    params = params if params is not None else request.GET
    data = _queue_data(params)
    base = AssessmentRequest.objects.visible_to(request.user).with_queue_related()
    filterset = QueueFilter(data, queryset=base, today=today)
    results = filterset.qs
    # Counts stop at the cap (docs/benchmarks.md finding 1): "More than 10,000" past it.
    paginator = CappedPaginator(results, QUEUE_PAGE_SIZE)
    page = paginator.get_page(params.get("page"))
    with transaction.atomic():  # the rows shown and their access-log rows, or neither
        rows = list(page.object_list)
        access_log_record_many(
            user=request.user,
            child_ids=list(dict.fromkeys(row.child_id for row in rows)),
            object_type="assessment_request",
            path=request.path,
        )
    for row in rows:
        row.deadline = deadline_state(row.next_deadline_on, today=today)
        row.tag = status_tag(row.status)
        row.child_age = row.child.age(today)
    overdue_count, overdue_capped = capped_count(results.overdue(on=today), paginator.cap) if rows else (0, False)
    can_assign = user_can(request.user, Capability.REQUEST_ASSIGN)
    if can_assign and bulk_form is None:
        bulk_form = BulkAssignForm(initial={"return_query": data.urlencode()})
    active_filters = any(
        data.get(name) not in (None, "", "false")
        for name in ("status", "assigned_officer", "unassigned", "district", "source", "need", "age", "overdue")
    ) or data.get("due_within") not in (None, "")
    query_without_page = data.urlencode()
    plain_selects(filterset.form, bulk_form)
    context = {
        "filter": filterset,
        "filter_form": filterset.form,
        "page": page,
        "rows": rows,
        "total": paginator.count,
        "total_capped": paginator.capped,
        "total_text": _count_text(paginator.count, paginator.capped),
        "overdue_count": overdue_count,
        "overdue_text": _count_text(overdue_count, overdue_capped).lower(),
        "pagination": pagination(page, query_without_page),
        "can_assign": can_assign,
        "can_create": user_can(request.user, Capability.REQUEST_CREATE),
        "bulk_form": bulk_form,
        "form": bulk_form,  # the error summary reads ``form``
        "filters_open": active_filters,
        "selected_ids": {str(v) for v in (bulk_form["requests"].value() or [])} if bulk_form is not None else set(),
    }
    return render(request, "requests_app/queue.html", context)


def _count_text(count: int, capped: bool) -> str:
    """The count as shown: "1,234", or "More than 10,000" when it stopped at the cap."""
    return f"More than {count:,}" if capped else f"{count:,}"


@require_POST
@requires(Capability.REQUEST_ASSIGN)
def assign_bulk(request: HttpRequest) -> HttpResponse:
    form = BulkAssignForm(request.POST)
    return_query = request.POST.get("return_query", "")
    params = QueryDict(return_query, mutable=False)
    if form.is_valid():
        try:
            assigned = request_assign(
                actor=request.user, requests=list(form.cleaned_data["requests"]), officer=form.cleaned_data["officer"]
            )
        except DomainError as exc:
            form_add_domain_error(form, exc)
        else:
            officer = form.cleaned_data["officer"]
            messages.success(
                request,
                f"{len(assigned)} {'request' if len(assigned) == 1 else 'requests'} assigned to "
                f"{officer.get_full_name() or officer.username}",
            )
            return HttpResponseRedirect(reverse("requests:queue") + (f"?{return_query}" if return_query else ""))
    return queue(request, bulk_form=form, params=params)


# --- New request -------------------------------------------------------------------------------


@requires(Capability.REQUEST_CREATE)
def create(request: HttpRequest) -> HttpResponse:
    duplicates: list[Child] = []
    if request.method != "POST":
        form = NewRequestForm(initial={"received_on": timezone.localdate()})
        return render(request, "requests_app/create.html", {"form": form, "duplicates": duplicates})
    form = NewRequestForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        existing_child_pk = query_id(request.POST, "use_child")  # not an id: 400
        try:
            if existing_child_pk:
                child = get_object_or_404(Child, pk=existing_child_pk)
                new = request_create(actor=request.user, child=child, **form.request_data())
            else:
                new = request_create(
                    actor=request.user,
                    child_data=form.child_data(),
                    confirmed_different_child=data["confirm_not_duplicate"],
                    not_duplicate_reason=data["not_duplicate_reason"] if data["confirm_not_duplicate"] else "",
                    **form.request_data(),
                )
            return _created(request, new)
        except PossibleDuplicate as exc:
            duplicates = exc.candidates
        except DomainError as exc:
            form.add_domain_error(exc)
            if existing_child_pk or data["confirm_not_duplicate"]:
                # The possible matches stay on the page while the error is put right.
                duplicates = find_duplicates(
                    forename=data["forename"],
                    surname=data["surname"],
                    date_of_birth=data["date_of_birth"],
                    upn=data["upn"],
                )
    cleaned = getattr(form, "cleaned_data", {})
    if not form.is_valid() and cleaned.get("confirm_not_duplicate") and "date_of_birth" in cleaned:
        # Ticked "a different child" without the reason: show the children again with the error.
        duplicates = find_duplicates(
            forename=cleaned.get("forename", ""),
            surname=cleaned.get("surname", ""),
            date_of_birth=cleaned["date_of_birth"],
            upn=cleaned.get("upn", ""),
        )
    for child in duplicates:
        child.open_request = child.open_requests[0] if child.open_requests else None
        # Every earlier request and plan, not only one in progress (issue 12 item 17).
        child.history = child_history(child.pk)
    # The banner shows other children's names, dates of birth and UPNs.
    access_log_record_many(
        user=request.user,
        child_ids=[child.pk for child in duplicates],
        object_type="duplicate_candidate",
        path=request.path,
    )
    context = {
        "form": form,
        "duplicates": duplicates,
        "reusable": [child for child in duplicates if child.open_request is None],
        "any_plan": any(row.final_plan_issued_on for child in duplicates for row in child.history),
        "can_view": user_can(request.user, Capability.REQUEST_VIEW),
    }
    return render(request, "requests_app/create.html", context)


def _created(request: HttpRequest, new: AssessmentRequest) -> HttpResponse:
    messages.success(request, f"Request {new.reference} logged. Day 1 is {new.received_on:%-d %B %Y}")
    return redirect("requests:detail", pk=new.pk)


# --- Request record ----------------------------------------------------------------------------


# The panel's referral form makes the referral and records it on this request's timeline; it
# takes the request as a query, ``?request=<pk>``. The roof names its URL (core.links).
PANEL_REFERRAL_FORM = "refer-to-panel"

ACTION_LINKS: tuple[tuple[Action, str, str], ...] = (
    (Action.ASSIGN, "requests:assign-one", "Assign to an officer"),
    (Action.START_EVALUATION, "requests:start-evaluation", "Start the provision evaluation"),
    (Action.RECORD_EVALUATION, "requests:evaluation", "Record the provision evaluation"),
    (Action.DECIDE_TO_ASSESS, "requests:decide-assessment", "Decide whether to assess"),
    (Action.REQUEST_ADVICE, "requests:advice-new", "Request advice"),
    (Action.COMPLETE_ASSESSMENT, "requests:complete-assessment", "Complete the assessment"),
    (Action.DECIDE_TO_ISSUE, "requests:decide-issue", "Decide whether to issue a plan"),
    (Action.ISSUE_DRAFT, "requests:issue-draft", "Issue the draft plan"),
    (Action.RECORD_FAMILY_COMMENTS, "requests:family-comments", "Record the family's comments"),
    (Action.ISSUE_FINAL, "requests:issue-final", "Issue the final plan"),
    (Action.ADD_EXCEPTION, "requests:exception-add", "Add a clock exception"),
    (Action.REFER_TO_PANEL, PANEL_REFERRAL_FORM, "Refer to the placement panel"),
    (Action.WITHDRAW, "requests:withdraw", "Withdraw the request"),
    (Action.REOPEN, "requests:reopen", "Reopen the request"),
)


def _action_url(url_name: str, req: AssessmentRequest) -> str | None:
    if url_name != PANEL_REFERRAL_FORM:
        return reverse(url_name, args=[req.pk])
    return cross_layer_url(PANEL_REFERRAL_FORM, request=req.pk)


def may(user: Any, req: AssessmentRequest, action: Action) -> bool:
    """The transition table allows ``action`` now and the user's roles hold its capability."""
    return (Status(req.status), action) in workflow.TRANSITIONS and user_can(user, workflow.ACTION_CAPABILITY[action])


def _clock_rows(req: AssessmentRequest, decisions: list[AssessmentDecision], today: date) -> list[dict[str, Any]]:
    standing = {d.stage: d for d in decisions if not d.superseded}
    assess, issue = standing.get(DecisionStage.ASSESS), standing.get(DecisionStage.ISSUE)
    withdrawn = req.status == Status.WITHDRAWN

    # reg 5(1): the decision whether to assess, 6 weeks.
    if req.request_outcome in (Sen2Outcome.YES, Sen2Outcome.NO) and req.request_outcome_on:
        decision_state = _done_state(req.request_outcome_on, req.decision_target_on)
    elif withdrawn or not req.is_open:
        decision_state = Deadline("Not applicable")
    else:
        decision_state = deadline_state(req.decision_target_on, today=today)

    # reg 10(1): notice of a decision not to issue, 16 weeks.
    if req.status == Status.NOT_ISSUED and req.assessment_outcome_on:
        not_issue_state = _done_state(req.assessment_outcome_on, req.not_issue_target_on, "Notified")
    elif (
        not req.is_open
        or (issue and issue.outcome == DecisionOutcome.ISSUE)
        or (assess and assess.outcome == DecisionOutcome.REFUSE)
    ):
        not_issue_state = Deadline("Not applicable")
    else:
        not_issue_state = deadline_state(req.not_issue_target_on, today=today)

    # reg 13(2): the final plan, 20 weeks.
    if req.final_plan_issued_on:
        final_state = _done_state(req.final_plan_issued_on, req.final_plan_target_on, "Met")
    elif not req.is_open:
        final_state = Deadline("Not applicable")
    else:
        final_state = deadline_state(req.final_plan_target_on, today=today)

    return [
        {
            "label": "Decision whether to assess",
            "law": "reg 5(1), 6 weeks",
            "due": req.decision_due_on,
            "target": req.decision_target_on if req.decision_target_on != req.decision_due_on else None,
            "state": decision_state,
        },
        {
            "label": "Decision not to issue a plan",
            "law": "reg 10(1), 16 weeks",
            "due": req.not_issue_due_on,
            "target": req.not_issue_target_on if req.not_issue_target_on != req.not_issue_due_on else None,
            "state": not_issue_state,
        },
        {
            "label": "Final plan",
            "law": "reg 13(2), 20 weeks",
            "due": req.final_plan_due_on,
            "target": req.final_plan_target_on if req.final_plan_target_on != req.final_plan_due_on else None,
            "state": final_state,
        },
    ]


def _reason_labels(decision: AssessmentDecision) -> list[str]:
    codes = workflow.S36_REFUSAL_REASONS if decision.outcome == DecisionOutcome.REFUSE else workflow.S36_ASSESS_REASONS
    return [codes.get(code, code) for code in decision.reasons]


# The queue's own parameters: the only ones a back link carries (RequestFilter's and the page).
QUEUE_PARAMS = frozenset(QueueFilter.base_filters) | {"page"}


def queue_back_url(request: HttpRequest) -> str:
    """The queue as the officer left it (filters and page), read from the Referer when it is this
    site's queue, else the queue's first page. Only the queue's path and known parameters are
    kept, so a crafted Referer cannot make the back link point anywhere else."""
    queue_url = reverse("requests:queue")
    referer = urlsplit(request.META.get("HTTP_REFERER", ""))
    if referer.netloc != request.get_host() or referer.path != queue_url or not referer.query:
        return queue_url
    kept = [(key, value) for key, value in parse_qsl(referer.query) if key in QUEUE_PARAMS][:50]
    return f"{queue_url}?{urlencode(kept)}" if kept else queue_url


def _status_label(value: str) -> str:
    return Status(value).label if value else ""


@requires(Capability.REQUEST_VIEW)
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    today = timezone.localdate()
    user = request.user
    # The read and its access-log row share one transaction: if the log cannot be written,
    # the page is not shown (fail closed).
    with transaction.atomic():
        req = _visible_request(user, pk)
        request_record_view(user=user, request=req, path=request.path)
        evaluation = ProvisionEvaluation.objects.filter(request=req).select_related("completed_by").first()
        decisions = list(req.decisions.select_related("decided_by").order_by("decided_at", "pk"))
        advice = list(req.advice_requests.order_by("requested_on", "pk"))
        exceptions = list(
            req.clock_exceptions.select_related("recorded_by", "removed_by", "advice_request").order_by("start", "pk")
        )
        events = list(RequestEvent.objects.filter(request=req).select_related("actor").order_by("occurred_at", "pk"))
        history = child_history(req.child_id, exclude=req.pk)
        notes = list(req.notes.select_related("recorded_by"))
        timeline_data.timeline_entries(req, events)
        notification_gaps = letter_services.notification_gaps(req)

    for item in advice:
        if item.cancelled_at is not None:
            item.state = Deadline(f"Cancelled {item.cancelled_at:%-d %B %Y}: {item.cancelled_reason}")
        elif item.received_on:
            item.state = _done_state(item.received_on, item.target_on, "Received")
        else:
            item.state = deadline_state(item.target_on, today=today) if req.is_open else Deadline("Not received")
        awaited = item.received_on is None and item.cancelled_at is None
        item.can_record = awaited and may(user, req, Action.RECORD_ADVICE)
        item.can_cancel = awaited and may(user, req, Action.CANCEL_ADVICE)
    _exception_days(req, exceptions)
    correct_urls = _correct_urls(user, req, decisions)
    for decision in decisions:
        decision.reason_labels = _reason_labels(decision)
        fact = "assess_decision_on" if decision.stage == DecisionStage.ASSESS else "issue_decision_on"
        decision.correct_url = None if decision.superseded else correct_urls.get(fact)
    can_remove_exception = may(user, req, Action.REMOVE_EXCEPTION)
    for event in events:
        event.from_label = _status_label(event.from_status)
        event.to_label = _status_label(event.to_status)
        next_on = (event.payload or {}).get("clocks", {}).get("next_deadline_on")
        event.next_deadline = date.fromisoformat(next_on) if next_on else None
    links = [(label, _action_url(url_name, req)) for action, url_name, label in ACTION_LINKS if may(user, req, action)]
    actions = [{"label": label, "url": url} for label, url in links if url]
    earliest_final = (
        clocks.earliest_final_plan_on(req.draft_issued_on, req.family_comments_received_on)
        if req.draft_issued_on
        else None
    )
    context = {
        "req": req,
        "child": req.child,
        "child_age": req.child.age(today),
        "tag": status_tag(req.status),
        "next_deadline": deadline_state(req.next_deadline_on, today=today) if req.is_open else None,
        "clock_rows": _clock_rows(req, decisions, today),
        "evaluation": evaluation,
        "evaluation_evidence": _evaluation_evidence(evaluation),
        "can_evaluate": may(user, req, Action.RECORD_EVALUATION),
        "decisions": decisions,
        "advice": advice,
        "exceptions": exceptions,
        "can_remove_exception": can_remove_exception,
        "earliest_final": earliest_final,
        "events": events,
        "actions": actions,
        "back_url": queue_back_url(request),
        "history": history,
        "access_log_url": (
            reverse("requests:access-log-child", args=[req.child_id])
            if user_can(user, Capability.DATA_PROTECTION)
            else None
        ),
        # --- Case notes and corrections (issue 13, notes) ---
        "notes": notes,
        "note_add_url": (
            reverse("requests:note-add", args=[req.pk]) if user_can(user, Capability.CASE_NOTE_ADD) else None
        ),
        "correct": correct_urls,
        "notification_gaps": notification_gaps,
    }
    return render(request, "requests_app/detail.html", context)


def _correct_urls(user: Any, req: AssessmentRequest, decisions: list[AssessmentDecision]) -> dict[str, str]:
    """Fact -> its correction page, for each fact the user may correct on this record now."""
    if not user_can(user, Capability.RECORD_CORRECT):
        return {}
    standing = {d.stage: d for d in decisions if not d.superseded}
    assess, issue = standing.get(DecisionStage.ASSESS), standing.get(DecisionStage.ISSUE)
    dates = corrections.RequestDates(
        received_on=req.received_on,
        assess_decision_on=assess.notified_on if assess else None,
        issue_decision_on=issue.notified_on if issue else None,
        draft_issued_on=req.draft_issued_on,
        final_plan_issued_on=req.final_plan_issued_on,
    )
    facts = [*sorted(corrections.CHILD_FACTS), *corrections.correctable_request_facts(dates)]
    return {fact.value: reverse("requests:correct", args=[req.pk, fact.value]) for fact in facts}


def _exception_days(req: AssessmentRequest, exceptions: list[ClockException]) -> None:
    """Set ``days_added`` on each exception still counting: the days it adds to its clock's
    target (the 20-week target, or its advice request's 6 weeks), days it shares with an earlier
    exception counted once, on the earlier one (clocks.exception_days_added)."""
    counted: dict[int | None, list[clocks.ExceptionPeriod]] = {}
    for exception in exceptions:
        if not exception.is_active:
            exception.days_added = None
            continue
        advice = exception.advice_request
        if advice is None:
            start, due = req.received_on, req.final_plan_due_on
        else:
            start, due = advice.requested_on, advice.requested_on + clocks.ADVICE_PERIOD
        earlier = counted.setdefault(exception.advice_request_id, [])
        period = exception.as_period()
        exception.days_added = clocks.exception_days_added(period, earlier, start=start, due=due)
        earlier.append(period)


def child_history(child_id: int, *, exclude: int | None = None) -> list[AssessmentRequest]:
    """The child's requests, oldest first, each with ``tag`` (status) set: what intake and the
    request page show so that a repeat request or a reassessment is seen for what it is."""
    rows = list(
        AssessmentRequest.objects.filter(child_id=child_id)
        .exclude(pk=exclude)
        .select_related("named_establishment")
        .order_by("received_on", "pk")
    )
    for row in rows:
        row.tag = status_tag(row.status)
    return rows


def _evaluation_evidence(evaluation: ProvisionEvaluation | None) -> list[str]:
    if evaluation is None:
        return []
    labels = {
        "schools_views_received": "School's views",
        "sen_support_plan": "SEN support plan",
        "provision_map": "Provision map",
        "costed_provision": "Costed provision",
        "progress_data": "Progress data",
    }
    return [label for name, label in labels.items() if getattr(evaluation, name)]


# --- Action forms ------------------------------------------------------------------------------


class ActionView(ActionPage):
    """An action on a request: the action's capability guards the page, the transition table
    decides whether it can be taken now; success returns to the request with a banner.

    Subclasses name the action, the form and ``perform``, the service call.
    """

    action: Action
    form_class: type[forms.Form] = ConfirmForm
    warning: str = ""
    template_name = "requests_app/action.html"
    logged_as = "assessment_request"  # the access log's object type for the page

    req: AssessmentRequest

    def capability(self) -> Capability:
        return workflow.ACTION_CAPABILITY[self.action]

    def load(self, **kwargs: Any) -> None:
        self.req = self.get_request_object(**kwargs)

    def get_request_object(self, **kwargs: Any) -> AssessmentRequest:
        return _visible_request(self.request.user, kwargs["pk"])

    def not_allowed_now(self) -> str | None:
        try:
            workflow.check_transition(self.req.status, self.action)
        except workflow.TransitionError as exc:
            return exc.message
        return None

    def success_url(self) -> str:
        return reverse("requests:detail", args=[self.req.pk])

    def cancel_url(self) -> str:
        return reverse("requests:detail", args=[self.req.pk])

    def page_context(self) -> dict[str, Any]:
        return {"req": self.req, "warning": self.warning, "fields_template": getattr(self, "fields_template", "")}

    def render_form(self, form: forms.Form, *, status: int = 200) -> HttpResponse:
        # Every action page names the child (its caption): the page and its access-log row go
        # together (fail closed).
        with transaction.atomic():
            access_log_record(
                user=self.request.user,
                child_id=self.req.child_id,
                object_type=self.logged_as,
                object_id=self.logged_id(),
                path=self.request.path,
            )
            return super().render_form(form, status=status)

    def logged_id(self) -> int:
        return self.req.pk


class AssignView(ActionView):
    action = Action.ASSIGN
    form_class = AssignForm
    title = "Assign to an officer"
    submit_label = "Assign"
    success_message = "Request assigned"

    def initial(self) -> dict[str, Any]:
        return {"officer": self.req.assigned_officer_id}

    def perform(self, form: Any) -> Any:
        officer = form.cleaned_data["officer"]
        self.success_message = f"Request assigned to {officer.get_full_name() or officer.username}"
        return request_assign(actor=self.request.user, requests=[self.req.pk], officer=officer)


class StartEvaluationView(ActionView):
    action = Action.START_EVALUATION
    title = "Start the provision evaluation"
    intro = (
        "You will check the school's views, the evidence of the graduated response "
        "(assess, plan, do, review) and progress data, then make a recommendation."
    )
    submit_label = "Start the evaluation"
    success_message = "Provision evaluation started"

    def perform(self, form: Any) -> Any:
        return evaluation_start(actor=self.request.user, request=self.req)

    def success_url(self) -> str:
        return reverse("requests:evaluation", args=[self.req.pk])


class EvaluationView(ActionView):
    action = Action.RECORD_EVALUATION
    form_class = EvaluationForm
    title = "Provision evaluation"
    submit_label = "Save the evaluation"
    success_message = "Provision evaluation saved"

    def initial(self) -> dict[str, Any]:
        evaluation = ProvisionEvaluation.objects.filter(request=self.req).first()
        if evaluation is None:
            return {}
        return {
            "evidence": [
                name
                for name in (
                    "schools_views_received",
                    "sen_support_plan",
                    "provision_map",
                    "costed_provision",
                    "progress_data",
                )
                if getattr(evaluation, name)
            ],
            "apdr_cycles": evaluation.apdr_cycles,
            "attainment_summary": evaluation.attainment_summary,
            "other_agencies": evaluation.other_agencies,
            "notes": evaluation.notes,
            "recommendation": evaluation.recommendation,
            "complete": "no",
        }

    def perform(self, form: Any) -> Any:
        complete = form.cleaned_data["complete"] == "yes"
        if complete:
            self.success_message = "Provision evaluation completed. The request is ready for the decision"
        return evaluation_record(actor=self.request.user, request=self.req, complete=complete, **form.service_fields())


class DecideAssessmentView(ActionView):
    action = Action.DECIDE_TO_ASSESS
    form_class = DecideAssessmentForm
    title = "Decide whether to assess"
    intro = "The decision must be notified within 6 weeks of the request (reg 5(1))."
    submit_label = "Record the decision"
    fields_template = "requests_app/_decide_assessment_fields.html"

    def perform(self, form: Any) -> Any:
        kwargs = form.service_kwargs()
        self.success_message = (
            "Decision to assess recorded"
            if kwargs["outcome"] == DecisionOutcome.ASSESS
            else "Decision not to assess recorded. Print the decision letter from the request"
        )
        return request_decide_assessment(actor=self.request.user, request=self.req, **kwargs)

    def extra_context(self) -> dict[str, Any]:
        return {"evaluation": ProvisionEvaluation.objects.filter(request=self.req).first()}


class RequestAdviceView(ActionView):
    action = Action.REQUEST_ADVICE
    form_class = AdviceRequestForm
    title = "Request advice"
    intro = "Advice must be provided within 6 weeks of the request for it (reg 8(1))."
    submit_label = "Record the request for advice"
    success_message = "Advice requested"

    def initial(self) -> dict[str, Any]:
        return {"requested_on": timezone.localdate()}

    def perform(self, form: Any) -> Any:
        return advice_request_create(actor=self.request.user, request=self.req, **form.cleaned_data)


class AdviceRecordView(ActionView):
    """Reached from the request's advice table and from the advice queue (EPs)."""

    action = Action.RECORD_ADVICE
    form_class = AdviceReceivedForm
    title = "Record advice received"
    submit_label = "Record advice received"
    success_message = "Advice recorded as received"
    fields_template = ""

    advice: AdviceRequest
    logged_as = "advice_request"

    def logged_id(self) -> int:
        return self.advice.pk

    def get_request_object(self, **kwargs: Any) -> AssessmentRequest:
        queryset = AdviceRequest.objects.visible_to(self.request.user).select_related(
            "request", "request__child", "request__child__district"
        )
        self.advice = get_object_or_404(queryset, pk=kwargs["advice_pk"])
        return self.advice.request

    def not_allowed_now(self) -> str | None:
        if self.advice.received_on is not None:
            return "This advice has already been recorded as received."
        return super().not_allowed_now()

    def initial(self) -> dict[str, Any]:
        return {"received_on": timezone.localdate()}

    def perform(self, form: Any) -> Any:
        return advice_record_received(actor=self.request.user, advice=self.advice, **form.cleaned_data)

    def _back(self) -> str:
        if user_can(self.request.user, Capability.REQUEST_VIEW) and self.request.GET.get("from") != "queue":
            return reverse("requests:detail", args=[self.req.pk])
        return reverse("requests:advice-queue")

    def success_url(self) -> str:
        if user_can(self.request.user, Capability.REQUEST_VIEW) and self.request.POST.get("from") != "queue":
            return reverse("requests:detail", args=[self.req.pk])
        return reverse("requests:advice-queue")

    def cancel_url(self) -> str:
        return self._back()

    def extra_context(self) -> dict[str, Any]:
        return {"advice": self.advice, "from_queue": self.request.GET.get("from") or self.request.POST.get("from")}


class CancelAdviceView(ActionView):
    """Cancel a request for advice sent to the wrong service or no longer needed: it leaves the
    advice queue and no longer holds up the assessment."""

    action = Action.CANCEL_ADVICE
    form_class = ReasonForm
    title = "Cancel a request for advice"
    intro = "The request for advice stays on file but is no longer awaited. Tell the service it was sent to."
    submit_label = "Cancel the request for advice"
    success_message = "Request for advice cancelled"

    advice: AdviceRequest

    def get_request_object(self, **kwargs: Any) -> AssessmentRequest:
        req = super().get_request_object(**kwargs)
        self.advice = get_object_or_404(AdviceRequest, pk=kwargs["advice_pk"], request=req)
        return req

    def form_kwargs(self) -> dict[str, Any]:
        return {
            "reason_label": "Why is the request for advice being cancelled?",
            "reason_required": workflow.REQUIRED_FOR[Action.CANCEL_ADVICE]["reason"],
        }

    def not_allowed_now(self) -> str | None:
        if self.advice.received_on is not None:
            return "This advice has already been received."
        if self.advice.cancelled_at is not None:
            return "This request for advice has already been cancelled."
        return super().not_allowed_now()

    def extra_context(self) -> dict[str, Any]:
        return {"advice": self.advice}

    def perform(self, form: Any) -> Any:
        return advice_cancel(actor=self.request.user, advice=self.advice, reason=form.cleaned_data["reason"])


class CompleteAssessmentView(ActionView):
    action = Action.COMPLETE_ASSESSMENT
    title = "Complete the assessment"
    intro = "Confirm that all the advice needed is in. The request then waits for the decision whether to issue a plan."
    submit_label = "Complete the assessment"
    success_message = "Assessment completed"

    def extra_context(self) -> dict[str, Any]:
        outstanding = self.req.advice_requests.awaited().count()  # a cancelled request is not awaited
        if outstanding:
            return {"warning": f"{_days(outstanding).replace('day', 'advice request')} not yet received."}
        return {}

    def perform(self, form: Any) -> Any:
        return assessment_complete(actor=self.request.user, request=self.req)


class DecideIssueView(ActionView):
    action = Action.DECIDE_TO_ISSUE
    form_class = DecideIssueForm
    title = "Decide whether to issue a plan"
    intro = "A decision not to issue must be notified within 16 weeks of the request (reg 10(1))."
    submit_label = "Record the decision"

    def perform(self, form: Any) -> Any:
        data = form.cleaned_data
        self.success_message = (
            "Decision to issue a plan recorded. Write the draft plan"
            if data["outcome"] == DecisionOutcome.ISSUE
            else "Decision not to issue a plan recorded. Print the decision letter from the request"
        )
        return request_decide_issue(
            actor=self.request.user,
            request=self.req,
            outcome=data["outcome"],
            notified_on=data["notified_on"],
            reasons_text=data["reasons_text"].strip(),
            rights_text_sent=data["rights_text_sent"],
            advice_not_sought_reason=data["advice_not_sought_reason"],
        )


class IssueDraftView(ActionView):
    action = Action.ISSUE_DRAFT
    form_class = DraftForm
    title = "Issue the draft plan"
    intro = (
        "The family has at least 15 days from the day the draft is served to comment and ask for a school (reg 13(1))."
    )
    submit_label = "Record the draft as issued"
    success_message = "Draft plan recorded as issued"

    def perform(self, form: Any) -> Any:
        return plan_issue_draft(actor=self.request.user, request=self.req, **form.cleaned_data)


class FamilyCommentsView(ActionView):
    action = Action.RECORD_FAMILY_COMMENTS
    form_class = FamilyCommentsForm
    title = "Record the family's comments on the draft"
    submit_label = "Record the comments"
    success_message = "Family's comments recorded"

    def perform(self, form: Any) -> Any:
        return plan_record_family_comments(actor=self.request.user, request=self.req, **form.cleaned_data)


class IssueFinalView(ActionView):
    action = Action.ISSUE_FINAL
    form_class = FinalPlanForm
    title = "Issue the final plan"
    submit_label = "Record the final plan as issued"
    success_message = "Final plan recorded as issued. The request is closed"

    def extra_context(self) -> dict[str, Any]:
        if self.req.draft_issued_on is None:
            return {}
        earliest = clocks.earliest_final_plan_on(self.req.draft_issued_on, self.req.family_comments_received_on)
        return {
            "intro": (
                f"The final plan is due by {self.req.final_plan_target_on:%-d %B %Y} (reg 13(2)). "
                f"It cannot be issued before {earliest:%-d %B %Y}: the family has at least 15 days "
                "to comment on the draft (reg 13(1))."
            )
        }

    def perform(self, form: Any) -> Any:
        return plan_issue_final(actor=self.request.user, request=self.req, **form.cleaned_data)


class AddExceptionView(ActionView):
    action = Action.ADD_EXCEPTION
    form_class = ExceptionForm
    title = "Add a clock exception"
    intro = (
        "An exception does not stop the statutory clock: the council must still act as soon as practicable. "
        "It moves the target date by the days the exception covers."
    )
    submit_label = "Add the exception"
    success_message = "Clock exception added. The targets have been recalculated"
    fields_template = "requests_app/_exception_fields.html"

    def form_kwargs(self) -> dict[str, Any]:
        return {"request_obj": self.req}

    def perform(self, form: Any) -> Any:
        data = form.cleaned_data
        return exception_add(
            actor=self.request.user,
            request=self.req,
            kind=data["kind"],
            start=data["start"],
            end=data["end"],
            evidence=data["evidence"],
            advice_request=data["advice_request"],
        )


class RemoveExceptionView(ActionView):
    action = Action.REMOVE_EXCEPTION
    form_class = ReasonForm
    title = "Remove a clock exception"
    intro = "The exception stays on file but no longer counts. The targets will be recalculated."
    submit_label = "Remove the exception"
    success_message = "Clock exception removed. The targets have been recalculated"

    exception: ClockException

    def get_request_object(self, **kwargs: Any) -> AssessmentRequest:
        req = super().get_request_object(**kwargs)
        self.exception = get_object_or_404(ClockException, pk=kwargs["exception_pk"], request=req)
        return req

    def form_kwargs(self) -> dict[str, Any]:
        return {
            "reason_label": "Why is the exception being removed?",
            "reason_required": "Enter why the exception is being removed",
        }

    def not_allowed_now(self) -> str | None:
        if self.exception.removed_at is not None:
            return "This exception has already been removed."
        return super().not_allowed_now()

    def extra_context(self) -> dict[str, Any]:
        return {"exception": self.exception}

    def perform(self, form: Any) -> Any:
        return exception_remove(actor=self.request.user, exception=self.exception, reason=form.cleaned_data["reason"])


class WithdrawView(ActionView):
    action = Action.WITHDRAW
    form_class = WithdrawForm
    title = "Withdraw the request"
    intro = "The request will be closed. A senior officer can reopen it if this was recorded in error."
    submit_label = "Withdraw the request"
    success_message = "Request withdrawn"

    def initial(self) -> dict[str, Any]:
        return {"withdrawn_on": timezone.localdate()}

    def perform(self, form: Any) -> Any:
        return request_withdraw(actor=self.request.user, request=self.req, **form.cleaned_data)


class ReopenView(ActionView):
    action = Action.REOPEN
    form_class = ReasonForm
    title = "Reopen the request"
    intro = "The request goes back to the stage it was at before it closed. A decision it reached stays on file."
    submit_label = "Reopen the request"
    success_message = "Request reopened"

    def form_kwargs(self) -> dict[str, Any]:
        return {
            "reason_label": "Why is the request being reopened?",
            "reason_required": "Enter why the request is being reopened",
        }

    def perform(self, form: Any) -> Any:
        return request_reopen(actor=self.request.user, request=self.req, reason=form.cleaned_data["reason"])


# --- Decision letter ---------------------------------------------------------------------------


@requires(Capability.REQUEST_VIEW)
def decision_letter(request: HttpRequest, pk: int, decision_pk: int) -> HttpResponse:
    with transaction.atomic():
        req = _visible_request(request.user, pk)
        decision = get_object_or_404(
            AssessmentDecision.objects.select_related("decided_by"), pk=decision_pk, request=req
        )
        access_log_record(
            user=request.user,
            child_id=req.child_id,
            object_type="assessment_decision",
            object_id=decision.pk,
            action=AccessAction.PRINT,
            path=request.path,
        )
    context = {
        "req": req,
        "child": req.child,
        "decision": decision,
        "reason_labels": [label for label in _reason_labels(decision) if label != "Other"],
        "negative": decision.outcome in (DecisionOutcome.REFUSE, DecisionOutcome.NOT_ISSUE),
    }
    return render(request, "requests_app/decision_letter.html", context)


# --- Advice queue ------------------------------------------------------------------------------


@requires(Capability.ADVICE_VIEW)
def advice_queue(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    whole_service = user_can(request.user, Capability.REQUEST_VIEW)
    queryset = (
        AdviceRequest.objects.visible_to(request.user)
        .outstanding()
        .select_related("request", "request__child")
        .order_by("requested_on", "pk")
    )
    filter_form = AdviceFilterForm(request.GET or None)
    if not whole_service:
        del filter_form.fields["adviser_type"]  # the EP service sees its own advice only
    overdue_only = False
    if filter_form.is_bound and filter_form.is_valid():
        if filter_form.cleaned_data.get("adviser_type"):
            queryset = queryset.filter(adviser_type=filter_form.cleaned_data["adviser_type"])
        if filter_form.cleaned_data["overdue"]:
            # The home page's "Advice overdue" figure: awaited advice past its target only.
            queryset = queryset.filter(target_on__lt=today)
            overdue_only = True
    paginator = Paginator(queryset, 50)
    page = paginator.get_page(request.GET.get("page"))
    with transaction.atomic():
        rows = list(page.object_list)
        access_log_record_many(
            user=request.user,
            child_ids=list(dict.fromkeys(row.request.child_id for row in rows)),
            object_type="advice_request",
            path=request.path,
        )
    for row in rows:
        row.state = deadline_state(row.target_on, today=today)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "rows": rows,
        "page": page,
        "total": paginator.count,
        "pagination": pagination(page, query.urlencode()),
        "filter_form": filter_form,
        "overdue_only": overdue_only,
        "can_view_requests": whole_service,
        "can_record": user_can(request.user, Capability.ADVICE_RECORD),
    }
    return render(request, "requests_app/advice_queue.html", context)
