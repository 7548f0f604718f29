"""Pages for the central placement panel: referrals, meetings and their agendas, the agenda
pack, declarations, attendance, decisions and minutes.

Views are thin, as in ``requests_app.views``: check the capability, parse a form, call exactly
one service in ``panels.services`` and render. Domain errors from the services go back on the
form as a GOV.UK error summary; a button-only action (circulate, mark held, approve) shows the
service's message in a banner on the page it came from.

Head teachers on the panel are external (docs/architecture.md §1): every page they can open shows a child
by initials, age, district and need only. The pack comes from ``services.pack_for``, which
minimises for them; the meeting page shows initials to everyone.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from core.access import access_log_record_many
from core.errors import DomainError, NotPermitted
from core.exports import export_gate
from core.ids import query_id
from core.links import cross_layer_url
from core.models import AccessAction, NeedType
from core.pages import form_add_domain_error, pagination, requires
from core.roles import Capability, user_can
from panels import selectors, services, workflow
from panels.forms import (
    AttendanceCorrectForm,
    AttendanceForm,
    DecisionForm,
    DeclarationCorrectForm,
    DeclarationForm,
    DeferForm,
    MeetingForm,
    MinutesForm,
    OptionForm,
    ReasonForm,
    ReferralForm,
    option_forms,
)
from panels.models import (
    AgendaItem,
    AgendaItemStatus,
    Declaration,
    MinutesStatus,
    PanelDecision,
    PanelMeeting,
    PanelMinutes,
    Referral,
)
from requests_app.models import AssessmentRequest

MEETING_TAGS: dict[str, str] = {
    workflow.MeetingStatus.SCHEDULED: "govuk-tag--blue",
    workflow.MeetingStatus.PAPERS_CIRCULATED: "govuk-tag--purple",
    workflow.MeetingStatus.HELD: "govuk-tag--yellow",
    workflow.MeetingStatus.MINUTES_APPROVED: "govuk-tag--green",
}
# Past meetings a page of the meetings list: ten years of monthly-or-more meetings on one page
# was 194 kB and the slowest page under load.
PAST_MEETINGS_PAGE_SIZE = 20
OUTCOME_TAGS: dict[str, str] = {
    workflow.DecisionOutcome.APPROVE: "govuk-tag--green",
    workflow.DecisionOutcome.APPROVE_WITH_CONDITIONS: "govuk-tag--green",
    workflow.DecisionOutcome.DECLINE: "govuk-tag--red",
    workflow.DecisionOutcome.DEFER: "govuk-tag--orange",
    workflow.DecisionOutcome.MORE_INFORMATION: "govuk-tag--orange",
}
# How a detected conflict (workflow.conflicts_for) reads to the member it recuses.
RECUSAL_PHRASES: dict[str, str] = {
    "Head teacher of the proposed school": "is the proposed establishment",
    "Head teacher of the school the parents prefer": "is the school the parents prefer",
    "Head teacher of a school considered as an option": "is one of the options considered",
}


def long_date(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


def pounds(pence: int | None) -> str:
    return "" if pence is None else f"£{pence / 100:,.2f}"


def compared_text(benchmark: dict[str, Any]) -> str:
    """A line's benchmark in words: median, middle half and range, and how many were compared."""
    if not benchmark["n"]:
        return "No comparison"
    return (
        f"Median {pounds(benchmark['median_pence'])}; middle half {pounds(benchmark['lower_quartile_pence'])} "
        f"to {pounds(benchmark['upper_quartile_pence'])}; range {pounds(benchmark['min_pence'])} to "
        f"{pounds(benchmark['max_pence'])} ({benchmark['n']} agreed)"
    )


def _meeting_title(meeting: PanelMeeting) -> str:
    return f"Panel meeting, {long_date(meeting.held_on)}"


def _visible_meeting(user: Any, pk: int) -> PanelMeeting:
    return get_object_or_404(PanelMeeting.objects.visible_to(user).select_related("chair"), pk=pk)


def _visible_item(user: Any, pk: int) -> AgendaItem:
    return get_object_or_404(
        AgendaItem.objects.filter(meeting__in=PanelMeeting.objects.visible_to(user)).select_related(
            "meeting", "referral__request__child__district", "referral__proposed_establishment"
        ),
        pk=pk,
    )


def _domain_error_banner(request: HttpRequest, exc: DomainError) -> None:
    if isinstance(exc, NotPermitted):
        raise exc  # the page helper answers 403 (core.pages)
    for messages_ in (exc.errors or {"": [exc.message]}).values():
        for message in messages_:
            messages.error(request, message)


def _posted(request: HttpRequest) -> Any:
    """The form data of a POST (even an empty one, so it shows its errors), else None."""
    return request.POST if request.method == "POST" else None


def _render(
    request: HttpRequest, template: str, context: dict[str, Any], *, error_forms: list[Any] | None = None
) -> HttpResponse:
    """Render with the forms whose errors the shared error summary lists."""
    error_forms = [f for f in error_forms or [] if f is not None]
    context.setdefault("error_forms", error_forms)
    context.setdefault("has_errors", any(f.errors for f in error_forms))
    return render(request, template, context)


# --- Meetings ------------------------------------------------------------------------------------


@requires(Capability.PANEL_VIEW)
def meeting_list(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    upcoming_meetings, past_meetings = selectors.split_meetings(selectors.meeting_queryset(request.user), today=today)
    paginator = Paginator(past_meetings, PAST_MEETINGS_PAGE_SIZE)
    page = paginator.get_page(_page_number(request.GET.get("page")))
    past = list(page.object_list)
    # Upcoming meetings on the first page only: that is the page a member opens to find the next
    # meeting and its papers. Later pages are for looking back through the record (an old
    # decision, its minutes); repeating the upcoming table there would push the page of past
    # meetings asked for below the fold on every "Next".
    upcoming = list(upcoming_meetings) if page.number == 1 else []
    for meeting in [*upcoming, *past]:
        meeting.tag = MEETING_TAGS.get(meeting.status, "")
    paged = paginator.num_pages > 1
    context = {
        "upcoming": upcoming,
        "past": past,
        "page": page,
        "past_caption": f"Past meetings, page {page.number} of {paginator.num_pages}" if paged else "Past meetings",
        "pagination": pagination(page, ""),  # the list has no filters for the links to keep
        "is_chair": user_can(request.user, Capability.PANEL_CHAIR),
        "can_refer": user_can(request.user, Capability.PANEL_REFER),
        "is_member": selectors.member_for(request.user) is not None,
    }
    return render(request, "panels/meeting_list.html", context)


def _page_number(value: str | None) -> int | str | None:
    """The page asked for, with 0 and negative numbers read as the first page (Django's
    ``get_page`` would show the last). Anything else goes to ``get_page`` as it came: it shows the
    first page for what is not a number and the last for a number past the end."""
    try:
        return max(int(value or ""), 1)
    except ValueError:
        return value


@requires(Capability.PANEL_CHAIR)
def meeting_create(request: HttpRequest) -> HttpResponse:
    form = MeetingForm(_posted(request), initial={"starts_at": "10:00"})
    if request.method == "POST" and form.is_valid():
        try:
            meeting = services.meeting_schedule(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, f"Meeting scheduled for {long_date(meeting.held_on)}. Add items to its agenda")
            return redirect("panels:meeting-detail", pk=meeting.pk)
    return _render(request, "panels/meeting_form.html", {"form": form}, error_forms=[form])


def _contract_url(decision: Any) -> str | None:
    """Where an approval's placement contract is drafted (the page checks the capability again);
    None for other outcomes, or when the placement pages are not installed."""
    if decision is None or decision.outcome not in workflow.APPROVALS:
        return None
    return cross_layer_url("draft-contract", decision=decision.pk)


def _item_rows(
    items: list[AgendaItem], *, member_id: int | None, can_contract: bool, withheld: Any
) -> list[dict[str, Any]]:
    """The agenda table. A member recused from an item sees it as the pack shows it: the item,
    the kind of referral and the recusals, not the child or the cost (``withheld``: the
    referral ids whose papers are withheld, ``selectors.withheld_papers``)."""
    rows = []
    for item in items:
        decision = next(iter(item.decisions.all()), None)
        declarations = list(item.declarations.all())
        mine = next((d for d in declarations if d.member_id == member_id), None)
        hidden = item.referral_id in withheld
        rows.append(
            {
                "item": item,
                "referral": item.referral,
                "withheld": hidden,
                "initials": "Withheld" if hidden else item.referral.request.child.initials,
                "kind": workflow.ReferralKind(item.referral.kind).label,
                "requested": "Withheld" if hidden else pounds(selectors.requested_total(item.referral)),
                "decision": decision,
                "decision_tag": OUTCOME_TAGS.get(decision.outcome, "") if decision else "",
                "contract_url": _contract_url(decision) if can_contract else None,
                "recused": [d for d in declarations if d.recused],
                "declared": [d for d in declarations if d.nature != workflow.DeclarationNature.NONE and not d.recused],
                "mine": mine,
            }
        )
    return rows


@requires(Capability.PANEL_VIEW)
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _visible_meeting(request.user, pk)
    is_chair = user_can(request.user, Capability.PANEL_CHAIR)
    member = selectors.member_for(request.user)
    items = selectors.agenda_items(meeting)
    status = workflow.MeetingStatus(meeting.status)
    context: dict[str, Any] = {
        "meeting": meeting,
        "title": _meeting_title(meeting),
        "status_label": status.label,
        "tag": MEETING_TAGS.get(meeting.status, ""),
        "rows": _item_rows(
            items,
            member_id=member.pk if member else None,
            can_contract=user_can(request.user, Capability.PLACEMENT_MANAGE),
            withheld=selectors.withheld_papers(request.user),
        ),
        "is_chair": is_chair,
        "member": member,
        "attendance": selectors.attendance_for(meeting),
        "minutes": PanelMinutes.objects.filter(meeting=meeting).first(),
        "can_add": is_chair and status is workflow.MeetingStatus.SCHEDULED,
        "can_circulate": is_chair and status is workflow.MeetingStatus.SCHEDULED,
        "can_withdraw": is_chair
        and status in (workflow.MeetingStatus.SCHEDULED, workflow.MeetingStatus.PAPERS_CIRCULATED),
        "can_defer": is_chair and status in (workflow.MeetingStatus.PAPERS_CIRCULATED, workflow.MeetingStatus.HELD),
        "can_correct_attendance": is_chair and status is workflow.MeetingStatus.HELD,
        # Attendance is fixed by the first decision (workflow.attendance_refusal); then it is corrected.
        "can_record_attendance": is_chair
        and status in (workflow.MeetingStatus.PAPERS_CIRCULATED, workflow.MeetingStatus.HELD)
        and not any(item.decisions.all() for item in items),
        "can_mark_held": is_chair and status is workflow.MeetingStatus.PAPERS_CIRCULATED,
        "can_decide": is_chair and status is workflow.MeetingStatus.HELD,
        "can_declare": member is not None
        and status
        in (workflow.MeetingStatus.SCHEDULED, workflow.MeetingStatus.PAPERS_CIRCULATED, workflow.MeetingStatus.HELD),
        "held_today_or_before": meeting.held_on <= timezone.localdate(),
    }
    if context["can_add"]:
        context["agenda_choices"] = selectors.referrals_for_agenda(request.user)
    return render(request, "panels/meeting_detail.html", context)


def _meeting_action(request: HttpRequest, pk: int, perform: Any, success: str) -> HttpResponse:
    meeting = _visible_meeting(request.user, pk)
    try:
        perform(meeting)
    except DomainError as exc:
        _domain_error_banner(request, exc)
    else:
        messages.success(request, success)
    return redirect("panels:meeting-detail", pk=meeting.pk)


@require_POST
@requires(Capability.PANEL_CHAIR)
def agenda_add(request: HttpRequest, pk: int) -> HttpResponse:
    referral_id = query_id(request.POST, "referral")
    if referral_id is None:
        messages.error(request, "Select a referral to add to the agenda")
        return redirect("panels:meeting-detail", pk=pk)
    return _meeting_action(
        request,
        pk,
        lambda meeting: services.agenda_add_item(actor=request.user, meeting=meeting, referral=referral_id),
        f"Referral {referral_id} added to the agenda",
    )


@require_POST
@requires(Capability.PANEL_CHAIR)
def circulate(request: HttpRequest, pk: int) -> HttpResponse:
    return _meeting_action(
        request,
        pk,
        lambda meeting: services.meeting_circulate_papers(actor=request.user, meeting=meeting),
        "Papers circulated. Members can now read the agenda pack and declare interests",
    )


@require_POST
@requires(Capability.PANEL_CHAIR)
def mark_held(request: HttpRequest, pk: int) -> HttpResponse:
    return _meeting_action(
        request,
        pk,
        lambda meeting: services.meeting_mark_held(actor=request.user, meeting=meeting),
        "Meeting marked as held. Record a decision on each item",
    )


@requires(Capability.PANEL_CHAIR)
def attendance(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _visible_meeting(request.user, pk)
    recorded = [a.member_id for a in selectors.attendance_for(meeting) if a.present]
    form = AttendanceForm(_posted(request), initial={"present": recorded})
    if request.method == "POST" and form.is_valid():
        try:
            services.attendance_record(
                actor=request.user, meeting=meeting, present_member_ids=[m.pk for m in form.cleaned_data["present"]]
            )
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, "Attendance recorded")
            return redirect("panels:meeting-detail", pk=meeting.pk)
    context = {
        "form": form,
        "meeting": meeting,
        "caption": _meeting_title(meeting),
        "title": "Record attendance",
        "submit_label": "Save attendance",
        "cancel_url": reverse("panels:meeting-detail", args=[meeting.pk]),
    }
    return _render(request, "panels/action.html", context, error_forms=[form])


@requires(Capability.PANEL_CHAIR)
def item_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    item = _visible_item(request.user, pk)
    form = ReasonForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.agenda_withdraw_item(actor=request.user, item=item, reason=form.cleaned_data["reason"])
        except DomainError as exc:
            form_add_domain_error(form, exc)
        else:
            messages.success(request, f"Item {item.position} withdrawn from the agenda")
            return redirect("panels:meeting-detail", pk=item.meeting_id)
    context = {
        "form": form,
        "caption": f"{_meeting_title(item.meeting)} – item {item.position}",
        "title": "Withdraw the item from the agenda",
        "intro": "The referral goes back to wait for a later meeting. The item keeps its number in the minutes.",
        "submit_label": "Withdraw the item",
        "cancel_url": reverse("panels:meeting-detail", args=[item.meeting_id]),
    }
    return _render(request, "panels/action.html", context, error_forms=[form])


@requires(Capability.PANEL_CHAIR)
def item_defer(request: HttpRequest, pk: int) -> HttpResponse:
    """The chair defers an item the panel cannot take today (e.g. the chair made the referral
    and no vice-chair is present) to a later meeting, with a reason (services.agenda_defer_item)."""
    item = _visible_item(request.user, pk)
    form = DeferForm(_posted(request), later=selectors.later_meetings(item.meeting))
    if request.method == "POST" and form.is_valid():
        try:
            services.agenda_defer_item(
                actor=request.user,
                item=item,
                deferred_to=form.cleaned_data["deferred_to"],
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            form_add_domain_error(form, exc)
        else:
            later = form.cleaned_data["deferred_to"]
            messages.success(request, f"Item {item.position} deferred to the meeting of {long_date(later.held_on)}")
            return redirect("panels:meeting-detail", pk=item.meeting_id)
    context = {
        "form": form,
        "caption": f"{_meeting_title(item.meeting)} – item {item.position}",
        "title": "Defer the item to a later meeting",
        "intro": "The panel takes no decision on the item today. The referral goes onto the later meeting's "
        "agenda and the minutes record the reason.",
        "submit_label": "Defer the item",
        "cancel_url": reverse("panels:meeting-detail", args=[item.meeting_id]),
    }
    return _render(request, "panels/action.html", context, error_forms=[form])


@requires(Capability.PANEL_CHAIR)
def attendance_correct(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct one member's attendance once it is fixed, with a reason (shown in the minutes)."""
    meeting = _visible_meeting(request.user, pk)
    form = AttendanceCorrectForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.attendance_correct(
                actor=request.user,
                meeting=meeting,
                member_id=form.cleaned_data["member"].pk,
                present=form.cleaned_data["present"],
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, "Attendance corrected. The correction and its reason are in the minutes")
            return redirect("panels:meeting-detail", pk=meeting.pk)
    context = {
        "form": form,
        "caption": _meeting_title(meeting),
        "title": "Correct the attendance",
        "intro": "Attendance was fixed when the first decision was recorded. A correction is recorded in "
        "the minutes with its reason.",
        "submit_label": "Save the correction",
        "cancel_url": reverse("panels:meeting-detail", args=[meeting.pk]),
    }
    return _render(request, "panels/action.html", context, error_forms=[form])


@requires(Capability.PANEL_CHAIR)
def declaration_correct(request: HttpRequest, pk: int) -> HttpResponse:
    """The chair corrects a member's declaration after the papers are out, with a reason."""
    declaration = get_object_or_404(
        Declaration.objects.filter(item__meeting__in=PanelMeeting.objects.visible_to(request.user)).select_related(
            "item__meeting", "member__user"
        ),
        pk=pk,
    )
    item = declaration.item
    initial = {"nature": declaration.nature, "interest": declaration.interest, "recused": declaration.recused}
    form = DeclarationCorrectForm(_posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.declaration_correct(actor=request.user, declaration=declaration, **form.cleaned_data)
        except DomainError as exc:
            form_add_domain_error(form, exc)
        else:
            messages.success(request, f"Declaration on item {item.position} corrected")
            return redirect("panels:meeting-detail", pk=item.meeting_id)
    context = {
        "form": form,
        "caption": f"{_meeting_title(item.meeting)} – item {item.position}",
        "title": f"Correct {declaration.member.user.get_full_name() or declaration.member.user.username}'s declaration",
        "intro": "The papers have gone out, so only the chair can withdraw or weaken a declaration. "
        "The minutes record the correction and its reason.",
        "submit_label": "Save the correction",
        "cancel_url": reverse("panels:meeting-detail", args=[item.meeting_id]),
    }
    return _render(request, "panels/action.html", context, error_forms=[form])


# --- Declarations --------------------------------------------------------------------------------


@requires(Capability.PANEL_VIEW)
def declare(request: HttpRequest, pk: int) -> HttpResponse:
    item = _visible_item(request.user, pk)
    member = selectors.member_for(request.user)
    if member is None:
        raise PermissionDenied
    existing = item.declarations.filter(member=member).first()
    initial = {"nature": existing.nature, "interest": existing.interest} if existing and not existing.automatic else {}
    form = DeclarationForm(_posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            declaration = services.declaration_record(actor=request.user, item=item, **form.cleaned_data)
        except DomainError as exc:
            form_add_domain_error(form, exc)
        else:
            message = f"Declaration recorded for item {item.position}"
            if declaration.recused:
                message += ". You are recused from this item"
            messages.success(request, message)
            return redirect("panels:pack", pk=item.meeting_id)
    context = {
        "form": form,
        "caption": f"{_meeting_title(item.meeting)} – item {item.position}",
        "title": f"Declare an interest in item {item.position}",
        "intro": f"{workflow.ReferralKind(item.referral.kind).label} for child {item.referral.request.child.initials}.",
        "warning": (
            f"You are already recused from this item: {existing.interest}. Anything you add is recorded with it."
            if existing and existing.automatic
            else ""
        ),
        "submit_label": "Record the declaration",
        "cancel_url": reverse("panels:pack", args=[item.meeting_id]),
    }
    return _render(request, "panels/action.html", context, error_forms=[form])


# --- The agenda pack -----------------------------------------------------------------------------


def _recusal_text(interest: str, school: str) -> str:
    for reason, phrase in RECUSAL_PHRASES.items():
        if interest.startswith(reason):
            return f"You are recused from this item because your school, {school}, {phrase}."
    return f"You are recused from this item: {interest}."


@requires(Capability.PANEL_VIEW)
def pack(request: HttpRequest, pk: int) -> HttpResponse:
    if not PanelMeeting.objects.filter(pk=pk).exists():
        raise Http404
    data = services.pack_for(meeting=pk, user=request.user, path=request.path)  # NotPermitted: 403
    member = selectors.member_for(request.user)
    school = member.establishment.name if member and member.establishment else ""
    member_id = data["viewer"]["member_id"]
    meeting_status = workflow.MeetingStatus(data["meeting"]["status"])
    for entry in data["items"]:
        entry["kind_label"] = workflow.ReferralKind(entry["kind"]).label
        entry["fee_review_current"] = pounds(entry.get("fee_review_current_pence"))
        entry["fee_review_proposed"] = pounds(entry.get("fee_review_proposed_pence"))
        mine = next((d for d in entry["declarations"] if d["member_id"] == member_id), None)
        if mine is not None:
            mine["nature_label"] = workflow.DECLARATION_NATURE_LABELS[workflow.DeclarationNature(mine["nature"])]
        entry["my_declaration"] = mine
        if entry["you_are_recused"]:
            entry["recusal_text"] = _recusal_text(mine["interest"] if mine else "", school)
        entry["others"] = [
            {
                **d,
                "nature_label": workflow.DECLARATION_NATURE_LABELS[workflow.DeclarationNature(d["nature"])],
                "type_label": workflow.MEMBER_TYPE_LABELS[workflow.MemberType(d["member_type"])],
            }
            for d in entry["declarations"]
            if d["member_id"] != member_id and (d["recused"] or d["nature"] != workflow.DeclarationNature.NONE)
        ]
        entry["can_declare"] = (
            member is not None
            and entry["status"] == AgendaItemStatus.LISTED
            and meeting_status
            in (workflow.MeetingStatus.SCHEDULED, workflow.MeetingStatus.PAPERS_CIRCULATED, workflow.MeetingStatus.HELD)
        )
        if not entry.get("papers_withheld"):
            child = entry["child"]
            child["need_label"] = NeedType(child["primary_need"]).label
            for line in entry["cost_lines"]:
                line["label"] = workflow.COST_CATEGORY_LABELS[workflow.CostCategory(line["category"])]
                line["amount"] = pounds(line["annual_amount_pence"])
                line["compared"] = compared_text(line["benchmark"])
            entry["maintained_average"] = pounds(entry["maintained_average_pence"])
            for option in entry["options"]:
                option["cost"] = pounds(option["annual_cost_pence"]) or "Not given"
            entry["requested"] = pounds(entry["requested_annual_cost_pence"])
            entry["requested_flag"] = workflow.maintained_average_flag(
                entry["requested_annual_cost_pence"], entry["maintained_average_pence"]
            )
    meeting = data["meeting"]
    held_on = date.fromisoformat(meeting["held_on"])
    context = {
        "pack": data,
        "meeting": meeting,
        "held_on": held_on,
        "title": f"Agenda pack: panel meeting, {long_date(held_on)}",
        "status_label": meeting_status.label,
        "minimised": data["viewer"]["minimised"],
    }
    return render(request, "panels/pack.html", context)


# --- Decisions -----------------------------------------------------------------------------------


@requires(Capability.PANEL_CHAIR)
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    item = _visible_item(request.user, pk)
    meeting = item.meeting
    referral = Referral.objects.prefetch_related("options__establishment", "cost_lines").get(pk=item.referral_id)
    quorum = selectors.item_quorum(item)
    later = selectors.later_meetings(meeting)
    meets_need_costs = [o.annual_cost_pence for o in referral.options.all() if o.meets_need and o.annual_cost_pence]
    initial = {
        "participants": [m.pk for m in quorum.sitting],
        "maintained_alternative_cost": min(meets_need_costs) if meets_need_costs else None,
    }
    form = DecisionForm(_posted(request), meeting=meeting, later=later, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            decision = services.decision_record(actor=request.user, item=item, **form.decision_values())
        except NotPermitted as exc:
            # The capability was checked above: a refusal here is a rule about this item
            # (the chair made the referral), which belongs in the error summary, not a 403.
            form.add_error(None, exc.message)
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            outcome_label = workflow.DecisionOutcome(decision.outcome).label.lower()
            messages.success(request, f"Decision recorded on item {item.position}: {outcome_label}")
            return redirect("panels:meeting-detail", pk=meeting.pk)
    if item.status != AgendaItemStatus.LISTED or meeting.status != workflow.MeetingStatus.HELD:
        problem = (
            "This item has already been decided or withdrawn."
            if item.status != AgendaItemStatus.LISTED
            else "Mark the meeting as held before recording decisions."
        )
        if request.method != "POST":
            messages.error(request, problem)
            return redirect("panels:meeting-detail", pk=meeting.pk)
    sitting_ids = {str(m.pk) for m in quorum.sitting}
    benchmarks = selectors.line_benchmarks_for([referral.pk])
    cost_lines = [
        {
            "label": workflow.COST_CATEGORY_LABELS[workflow.CostCategory(c.category)],
            "amount": pounds(c.annual_amount_pence),
            "compared": compared_text(intel["benchmark"]),
            **intel,
        }
        for c in referral.cost_lines.all()
        for intel in [selectors.line_intelligence(c.annual_amount_pence, benchmarks.get(c.pk))]
    ]
    context = {
        "form": form,
        "item": item,
        "meeting": meeting,
        "referral": referral,
        "caption": f"{_meeting_title(meeting)} – item {item.position}",
        "title": f"Record the decision on item {item.position}",
        "kind": workflow.ReferralKind(referral.kind).label,
        "initials": item.referral.request.child.initials,
        "requested": pounds(selectors.requested_total(referral)),
        "cost_lines": cost_lines,
        "options": [
            {
                "name": o.establishment.name,
                "meets_need": o.meets_need,
                "cost": pounds(o.annual_cost_pence) or "Not given",
            }
            for o in referral.options.all()
        ],
        "quorum": quorum,
        "sitting_boxes": [box for box in form["participants"] if str(box.data["value"]) in sitting_ids],
        "tests": [(form[f"{test}_answer"], form[f"{test}_text"]) for test in workflow.S39_TESTS],
    }
    return _render(request, "panels/decide.html", context, error_forms=[form])


# --- Minutes -------------------------------------------------------------------------------------


@requires(Capability.PANEL_VIEW)
def minutes(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _visible_meeting(request.user, pk)
    record = PanelMinutes.objects.filter(meeting=meeting).select_related("approved_by").first()
    is_chair = user_can(request.user, Capability.PANEL_CHAIR)
    # Items the reader is recused from are cut to their number and kind, on the page and in the
    # download alike (the agenda shows them so; panels.workflow.minutes_for_reader).
    on_agenda = set(AgendaItem.objects.filter(meeting=meeting).values_list("referral_id", flat=True))
    withheld = set(selectors.withheld_papers(request.user)) & on_agenda
    if request.GET.get("format") == "txt":
        if record is None:
            raise Http404
        return _minutes_text(request, meeting, record, withheld)
    # A reader recused from an item here reads the minimised text and cannot edit the whole.
    editable = is_chair and record is not None and record.status == MinutesStatus.DRAFT and not withheld
    form = MinutesForm(_posted(request), initial={"body": record.body if record else ""}) if editable else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.minutes_update(actor=request.user, minutes=record, body=form.cleaned_data["body"])
            except DomainError as exc:
                form_add_domain_error(form, exc)
            else:
                messages.success(request, "Draft minutes saved")
                return redirect("panels:minutes", pk=meeting.pk)
    context = {
        "meeting": meeting,
        "title": f"Minutes: {_meeting_title(meeting)}",
        "heading": f"Minutes of the panel meeting, {long_date(meeting.held_on)}",
        "record": record,
        "paragraphs": [block.strip("\n") for block in workflow.minutes_for_reader(record.body, withheld).split("\n\n")]
        if record
        else [],
        "form": form,
        "is_chair": is_chair,
        "can_generate": is_chair and meeting.status == workflow.MeetingStatus.HELD,
        "can_approve": is_chair and meeting.status == workflow.MeetingStatus.HELD and record is not None,
    }
    return _render(request, "panels/minutes.html", context, error_forms=[form])


def _minutes_text(
    request: HttpRequest, meeting: PanelMeeting, record: PanelMinutes, withheld: set[int]
) -> HttpResponse:
    """The minutes as a plain-text file, behind the export gate like every download (a sign-in
    within 15 minutes and a purpose, ``core.exports.export_gate``), minimised as the page is
    for a reader recused from some items. They name children by initials only; the export is
    still logged against each child on the agenda, with its purpose in the path (docs/style.md
    item 15)."""
    gate, _purpose = export_gate(request)
    if gate is not None:
        return gate
    child_ids = list(
        AgendaItem.objects.filter(meeting=meeting).values_list("referral__request__child_id", flat=True).distinct()
    )
    with transaction.atomic():
        access_log_record_many(
            user=request.user,
            child_ids=sorted(child_ids),
            object_type="panel_minutes",
            action=AccessAction.EXPORT,
            path=request.get_full_path(),
        )
    status = "Approved" if record.status == MinutesStatus.APPROVED else "DRAFT – not yet approved"
    header = f"Minutes ({status})\n\n"
    body = workflow.minutes_for_reader(record.body, withheld)
    response = HttpResponse(header + body, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="panel-minutes-{meeting.held_on:%Y-%m-%d}.txt"'
    return response


@require_POST
@requires(Capability.PANEL_CHAIR)
def minutes_generate(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _visible_meeting(request.user, pk)
    try:
        services.minutes_generate(actor=request.user, meeting=meeting)
    except DomainError as exc:
        _domain_error_banner(request, exc)
        return redirect("panels:meeting-detail", pk=meeting.pk)
    messages.success(request, "Draft minutes generated from the attendance, declarations and decisions")
    return redirect("panels:minutes", pk=meeting.pk)


@require_POST
@requires(Capability.PANEL_CHAIR)
def minutes_approve(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _visible_meeting(request.user, pk)
    try:
        services.minutes_approve(actor=request.user, meeting=meeting)
    except DomainError as exc:
        _domain_error_banner(request, exc)
    else:
        messages.success(request, "Minutes approved. They can no longer be changed")
    return redirect("panels:minutes", pk=meeting.pk)


# --- Referrals -----------------------------------------------------------------------------------


@requires(Capability.PANEL_REFER)
def referral_list(request: HttpRequest) -> HttpResponse:
    referrals = list(selectors.referral_queryset(request.user).order_by("-referred_on", "-pk"))
    with transaction.atomic():
        access_log_record_many(
            user=request.user,
            child_ids=list(dict.fromkeys(r.request.child_id for r in referrals)),
            object_type="panel_referral",
            action=AccessAction.LIST,
            path=request.path,
        )
    rows = [
        {
            "referral": r,
            "kind": workflow.ReferralKind(r.kind).label,
            "status": workflow.ReferralStatus(r.status).label,
            "requested": pounds(selectors.requested_total(r)) or "Not given",
            "missing": len(selectors.missing_for(r)) if r.status == workflow.ReferralStatus.AWAITING_PANEL else 0,
        }
        for r in referrals
    ]
    context = {
        "waiting": [row for row in rows if row["referral"].status != workflow.ReferralStatus.DECIDED],
        "decided": [row for row in rows if row["referral"].status == workflow.ReferralStatus.DECIDED],
    }
    return render(request, "panels/referral_list.html", context)


def _referral_forms(
    request: HttpRequest, referral: Referral | None, initial: dict[str, Any]
) -> tuple[ReferralForm, list[OptionForm]]:
    data = request.POST if request.method == "POST" else None
    return ReferralForm(data, initial=initial), option_forms(data, referral)


def _referral_page(
    request: HttpRequest,
    *,
    form: ReferralForm,
    options: list[OptionForm],
    assessment: AssessmentRequest,
    title: str,
    submit_label: str,
    cancel_url: str,
) -> HttpResponse:
    context = {
        "form": form,
        "options": options,
        "req": assessment,
        "title": title,
        "submit_label": submit_label,
        "cancel_url": cancel_url,
    }
    return _render(request, "panels/referral_form.html", context, error_forms=[form, *options])


@requires(Capability.PANEL_REFER)
def referral_create(request: HttpRequest) -> HttpResponse:
    request_id = query_id(request.GET, "request", required=True)
    assessment = get_object_or_404(
        AssessmentRequest.objects.visible_to(request.user).select_related("child"), pk=request_id
    )
    form, options = _referral_forms(request, None, {"kind": workflow.ReferralKind.INDEPENDENT_SPECIAL.value})
    if request.method == "POST" and form.is_valid() & all([o.is_valid() for o in options]):
        try:
            referral = services.referral_create(
                actor=request.user,
                request=assessment,
                options=[o for o in (f.option() for f in options) if o is not None],
                cost_lines=form.cost_lines(),
                **form.referral_values(),
            )
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, f"Referral {referral.pk} made to the placement panel")
            return redirect("panels:referral-detail", pk=referral.pk)
    return _referral_page(
        request,
        form=form,
        options=options,
        assessment=assessment,
        title="Refer to the placement panel",
        submit_label="Save the referral",
        cancel_url=reverse("requests:detail", args=[assessment.pk]),
    )


def _visible_referral(user: Any, pk: int) -> Referral:
    return get_object_or_404(selectors.referral_queryset(user), pk=pk)


@requires(Capability.PANEL_REFER)
def referral_edit(request: HttpRequest, pk: int) -> HttpResponse:
    referral = _visible_referral(request.user, pk)
    if referral.status != workflow.ReferralStatus.AWAITING_PANEL:
        messages.error(request, "Only a referral awaiting the panel can be changed.")
        return redirect("panels:referral-detail", pk=referral.pk)
    form, options = _referral_forms(request, referral, ReferralForm.initial_for(referral))
    if request.method == "POST" and form.is_valid() & all([o.is_valid() for o in options]):
        try:
            services.referral_update(
                actor=request.user,
                referral=referral,
                changes=form.referral_values(),
                options=[o for o in (f.option() for f in options) if o is not None],
                cost_lines=form.cost_lines(),
            )
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, "Referral updated")
            return redirect("panels:referral-detail", pk=referral.pk)
    return _referral_page(
        request,
        form=form,
        options=options,
        assessment=referral.request,
        title=f"Change referral {referral.pk}",
        submit_label="Save the changes",
        cancel_url=reverse("panels:referral-detail", args=[referral.pk]),
    )


def _reads_decisions(user: Any) -> bool:
    return any(
        user_can(user, capability)
        for capability in (Capability.PANEL_VIEW, Capability.PANEL_REFER, Capability.PLACEMENT_VIEW)
    )


def decision_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One panel decision: the s.39(4) tests, the reasons, the costs and the ceiling. Finance
    reads here the approval a placement contract is made against (``PanelDecision.visible_to``)."""
    if not _reads_decisions(request.user):
        raise PermissionDenied
    decision = get_object_or_404(
        PanelDecision.objects.visible_to(request.user).select_related(
            "item__meeting__chair", "item__referral__request__child", "chaired_by", "deferred_to"
        ),
        pk=pk,
    )
    item = decision.item
    if item.referral_id in selectors.withheld_papers(request.user):
        raise PermissionDenied
    with transaction.atomic():
        access_log_record_many(
            user=request.user,
            child_ids=[item.referral.request.child_id],
            object_type="panel_decision",
            action=AccessAction.VIEW,
            path=request.path,
        )
    meeting_visible = PanelMeeting.objects.visible_to(request.user).filter(pk=item.meeting_id).exists()
    context = {
        "decision": decision,
        "item": item,
        "meeting": item.meeting,
        "title": f"Panel decision on referral {item.referral_id}",
        "meeting_url": reverse("panels:meeting-detail", args=[item.meeting_id]) if meeting_visible else None,
        "referral_url": reverse("panels:referral-detail", args=[item.referral_id])
        if user_can(request.user, Capability.PANEL_REFER)
        else None,
        "initials": item.referral.request.child.initials,
        "kind": workflow.ReferralKind(item.referral.kind).label,
        "tag": OUTCOME_TAGS.get(decision.outcome, ""),
        "tests": [
            {
                "label": label,
                "answer": workflow.TEST_ANSWER_LABELS[workflow.TestAnswer(getattr(decision, f"{test}_answer"))],
                "text": getattr(decision, f"{test}_text"),
            }
            for test, label in workflow.S39_TESTS.items()
        ],
        "requested": pounds(decision.requested_annual_cost_pence),
        "alternative": pounds(decision.maintained_alternative_cost_pence) or "Not given",
        "ceiling": pounds(decision.agreed_annual_ceiling_pence),
        "chaired_by": decision.chaired_by.get_full_name() or decision.chaired_by.username
        if decision.chaired_by
        else "",
    }
    return render(request, "panels/decision_detail.html", context)


@requires(Capability.PANEL_REFER)
def referral_detail(request: HttpRequest, pk: int) -> HttpResponse:
    referral = _visible_referral(request.user, pk)
    if selectors.papers_access_for(request.user, [referral.pk])[referral.pk] is not workflow.PapersAccess.FULL:
        # A chair or officer who is also a recused member reads what the pack gives them.
        context = {"referral": referral, "kind": workflow.ReferralKind(referral.kind).label, "withheld": True}
        return render(request, "panels/referral_detail.html", context)
    with transaction.atomic():
        access_log_record_many(
            user=request.user,
            child_ids=[referral.request.child_id],
            object_type="panel_referral",
            action=AccessAction.VIEW,
            path=request.path,
        )
    items = list(
        referral.agenda_items.select_related("meeting").prefetch_related("decisions").order_by("meeting__held_on", "pk")
    )
    missing = selectors.missing_for(referral) if referral.status == workflow.ReferralStatus.AWAITING_PANEL else []
    benchmarks = selectors.line_benchmarks_for([referral.pk])
    context = {
        "referral": referral,
        "req": referral.request,
        "child": referral.request.child,
        "kind": workflow.ReferralKind(referral.kind).label,
        "status": workflow.ReferralStatus(referral.status).label,
        "missing": [message for _, message in missing],
        "cost_lines": [
            {
                "label": workflow.COST_CATEGORY_LABELS[workflow.CostCategory(c.category)],
                "amount": pounds(c.annual_amount_pence),
                "description": c.description,
                "compared": compared_text(intel["benchmark"]),
                **intel,
            }
            for c in referral.cost_lines.all()
            for intel in [selectors.line_intelligence(c.annual_amount_pence, benchmarks.get(c.pk))]
        ],
        "requested": pounds(selectors.requested_total(referral)),
        "maintained_average": pounds(selectors.maintained_average_pence()),
        "need_label": NeedType(referral.request.child.primary_need).label,
        "inspection": selectors.provider_inspection(referral.proposed_establishment),
        "options": [
            {
                "name": o.establishment.name,
                "meets_need": o.meets_need,
                "reason": o.reason,
                "cost": pounds(o.annual_cost_pence) or "Not given",
                "flag": workflow.maintained_average_flag(o.annual_cost_pence, selectors.maintained_average_pence()),
            }
            for o in referral.options.all()
        ],
        "requested_flag": workflow.maintained_average_flag(
            selectors.requested_total(referral), selectors.maintained_average_pence()
        ),
        "items": [{"item": i, "decision": next(iter(i.decisions.all()), None)} for i in items],
        "can_edit": referral.status == workflow.ReferralStatus.AWAITING_PANEL and not referral.is_fee_review,
        # An annual fee review sent back to the panel: which contract, the figures before and after.
        "fee_review_current": pounds(referral.fee_review_current_pence),
        "fee_review_proposed": pounds(referral.fee_review_proposed_pence),
    }
    return render(request, "panels/referral_detail.html", context)
