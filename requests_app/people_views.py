"""Pages for the case file's people and letters: the family and professionals on a request,
the letters and notices with their delivery state, the download of a letter's PDF, the
Outbox, the officer's digest and the council's letter templates.

Reading a child's people or letters needs ``REQUEST_VIEW`` (a head teacher on the panel has
none, so never sees a contact); changing them needs ``REQUEST_DECIDE``. Every read of a
child's contacts or a letter writes an access-log row in the read's transaction."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone

from core.access import access_log_record
from core.models import AccessAction
from core.pages import ActionPage, pagination, requires
from core.roles import Capability, user_can
from requests_app import contacts as people_rules
from requests_app import letters as letter_rules
from requests_app.models import AssessmentRequest
from requests_app.people_forms import ConfirmForm, ContactForm, LetterForm, LetterTemplateForm
from requests_app.people_models import Contact, Letter, LetterState, LetterTemplate, OfficerDigest, OutboundMessage
from requests_app.services import contacts as contact_services
from requests_app.services import letters as letter_services

TEMPLATE = "requests_app/action.html"


def _request(user: Any, pk: int) -> AssessmentRequest:
    return get_object_or_404(AssessmentRequest.objects.visible_to(user).select_related("child"), pk=pk)


@requires(Capability.REQUEST_VIEW)
def people(request: HttpRequest, pk: int) -> HttpResponse:
    """The child's family, the professionals, and the letters on this request."""
    today = timezone.localdate()
    with transaction.atomic():
        req = _request(request.user, pk)
        access_log_record(
            user=request.user, child_id=req.child_id, object_type="contacts", object_id=req.pk, path=request.path
        )
        on_file = list(
            Contact.objects.visible_to(request.user)
            .current()
            .filter(child_id=req.child_id)
            .select_related("establishment")
        )
        letters = list(
            Letter.objects.visible_to(request.user)
            .filter(request=req)
            .select_related("contact")
            .prefetch_related("messages")
            .order_by("-dated_on", "-pk")
        )
        notification_gaps = letter_services.notification_gaps(req)
    facts = [c.facts() for c in on_file]
    who = people_rules.letter_recipients(req.child.date_of_birth, today, facts)
    reg_4_2 = set(people_rules.reg_4_2_recipients(facts))
    for letter in letters:
        letter.message = next(iter(letter.messages.all()), None)
    context = {
        "req": req,
        "family": [c for c in on_file if c.kind != people_rules.ContactKind.PROFESSIONAL],
        "professionals": [c for c in on_file if c.kind == people_rules.ContactKind.PROFESSIONAL],
        "recipients": who,
        "recipient_ids": set(who.contact_ids),
        "reg_4_2_ids": reg_4_2,
        "letters": letters,
        "can_change": user_can(request.user, Capability.REQUEST_DECIDE),
        "young_person_from": people_rules.school_leaving_date(req.child.date_of_birth),
        "notification_gaps": notification_gaps,
    }
    return render(request, "requests_app/people.html", context)


class _PeoplePage(ActionPage):
    template_name = TEMPLATE
    req: AssessmentRequest

    def capability(self) -> Capability:
        return Capability.REQUEST_DECIDE

    def load(self, **kwargs: Any) -> None:
        self.req = _request(self.request.user, kwargs["pk"])

    def success_url(self) -> str:
        return reverse("requests:people", args=[self.req.pk])

    def page_context(self) -> dict[str, Any]:
        return {"req": self.req}


class ContactAddView(_PeoplePage):
    form_class = ContactForm
    title = "Add a family member or professional"
    submit_label = "Add"
    success_message = "Contact added"

    def perform(self, form: Any) -> Any:
        return contact_services.contact_add(actor=self.request.user, request=self.req, **form.cleaned_data)


class _ContactPage(_PeoplePage):
    contact: Contact

    def load(self, **kwargs: Any) -> None:
        super().load(**kwargs)
        self.contact = get_object_or_404(Contact.objects.current(), pk=kwargs["contact_pk"], child_id=self.req.child_id)


class ContactEditView(_ContactPage):
    form_class = ContactForm
    title = "Change contact details"
    submit_label = "Save"
    success_message = "Contact updated"

    def initial(self) -> dict[str, Any]:
        return ContactForm.initial_from(self.contact)

    def perform(self, form: Any) -> Any:
        return contact_services.contact_update(
            actor=self.request.user, request=self.req, contact=self.contact, **form.cleaned_data
        )


class ContactRemoveView(_ContactPage):
    form_class = ConfirmForm
    title = "Remove this person from the child's file"
    submit_label = "Remove"
    success_message = "Contact removed"
    intro = "Letters already sent to them stay on the file."

    def perform(self, form: Any) -> Any:
        return contact_services.contact_remove(actor=self.request.user, request=self.req, contact=self.contact)


class LetterIssueView(_PeoplePage):
    form_class = LetterForm
    title = "Send a letter"
    submit_label = "Send"
    success_message = "Letter produced and queued"

    def form_kwargs(self) -> dict[str, Any]:
        return {"contacts": list(Contact.objects.current().filter(child_id=self.req.child_id))}

    def perform(self, form: Any) -> Any:
        return letter_services.letter_issue(
            actor=self.request.user,
            request=self.req,
            kind=form.cleaned_data["kind"],
            contact_ids=[int(i) for i in form.cleaned_data["contact_ids"]],
        )


@requires(Capability.REQUEST_VIEW)
def letter_download(request: HttpRequest, pk: int, letter_pk: int) -> FileResponse:
    """The letter's PDF, as an attachment with a safe name; the read is logged first."""
    with transaction.atomic():
        req = _request(request.user, pk)
        letter = get_object_or_404(Letter.objects.visible_to(request.user), pk=letter_pk, request=req)
        access_log_record(
            user=request.user,
            child_id=req.child_id,
            object_type="letter",
            object_id=letter.pk,
            action=AccessAction.EXPORT,
            path=request.path,
        )
    if letter.state == LetterState.PREPARING:
        raise Http404("The letter is being prepared: try again in a minute")
    try:
        handle = letter.pdf.open("rb")
    except FileNotFoundError as exc:
        raise Http404("The letter's file is missing") from exc
    response = FileResponse(handle, as_attachment=True, filename=letter.filename, content_type="application/pdf")
    response["X-Content-Type-Options"] = "nosniff"
    return response


@requires(Capability.REQUEST_VIEW)
def outbox(request: HttpRequest) -> HttpResponse:
    """Every outbound message, newest first, with its delivery state (the local outbox)."""
    messages_qs = OutboundMessage.objects.visible_to(request.user).select_related("letter", "letter__request")
    state = request.GET.get("state", "")
    if state in {"queued", "retrying", "sent", "failed"}:
        messages_qs = messages_qs.filter(state=state)
    page = Paginator(messages_qs.order_by("-created_at", "-pk"), 25).get_page(request.GET.get("page"))
    query = f"state={state}&" if state else ""
    return render(
        request,
        "requests_app/outbox.html",
        {"page": page, "state": state, "pagination": pagination(page, query)},
    )


def digest(request: HttpRequest) -> HttpResponse:
    """The signed-in officer's deadlines: within 7 days or overdue, and advice due back."""
    if not user_can(request.user, Capability.REQUEST_DECIDE):
        raise PermissionDenied
    today = timezone.localdate()
    items = letter_services.digest_items(officer=request.user, day=today)  # type: ignore[arg-type]
    stored = OfficerDigest.objects.filter(officer=request.user, day=today).select_related("message").first()
    return render(request, "requests_app/digest.html", {"items": items, "today": today, "stored": stored})


def _templates_allowed(request: HttpRequest) -> None:
    if not letter_services.can_edit_templates(request.user):
        raise PermissionDenied


def letter_templates(request: HttpRequest) -> HttpResponse:
    _templates_allowed(request)
    saved = {row.kind: row for row in LetterTemplate.objects.select_related("updated_by")}
    rows = [
        {
            "kind": kind.value,
            "label": label,
            "regulation": letter_rules.REGULATION[kind],
            "saved": saved.get(kind.value),
        }
        for kind, label in letter_rules.LETTER_KIND_LABELS.items()
    ]
    return render(request, "requests_app/letter_templates.html", {"rows": rows})


class LetterTemplateEditView(ActionPage):
    form_class = LetterTemplateForm
    template_name = "requests_app/letter_template_edit.html"
    submit_label = "Save the template"
    success_message = "Template saved"
    kind: letter_rules.LetterKind

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        _templates_allowed(request)
        return super().dispatch(request, *args, **kwargs)

    def capability(self) -> Capability:
        return Capability.REQUEST_DECIDE if user_can(self.request.user, Capability.REQUEST_DECIDE) else Capability.ADMIN

    def load(self, **kwargs: Any) -> None:
        try:
            self.kind = letter_rules.LetterKind(kwargs["kind"])
        except ValueError as exc:
            raise Http404 from exc
        self.title = f"Edit the letter: {letter_rules.LETTER_KIND_LABELS[self.kind]}"

    def initial(self) -> dict[str, Any]:
        text = letter_services.letter_template_text(self.kind)
        return {"subject": text.subject, "body": text.body}

    def perform(self, form: Any) -> Any:
        return letter_services.letter_template_update(
            actor=self.request.user, kind=self.kind.value, **form.cleaned_data
        )

    def success_url(self) -> str:
        return reverse("requests:letter-templates")

    def extra_context(self) -> dict[str, Any]:
        return {"placeholders": letter_rules.PLACEHOLDERS, "regulation": letter_rules.REGULATION[self.kind]}
