"""Page plumbing shared by the apps' pages: the capability guard, the one-form-per-action page,
turning a service's domain error into a GOV.UK error summary on the form, and the GOV.UK
pagination component's items (rendered by ``templates/_pagination.html``).

Domain errors are mapped to pages here and nowhere else (the API's twin is
``core.api.exception_handler``): ``NotPermitted`` is a 403 wherever a page meets it (also when a
view hands it to ``form_add_domain_error``); any other domain error a view does not put on a form
(an id in the query string that is not one, a status that changed) is an error page with the
error's status (400 or 409) and its message.

Core imports no app (decision 4): each app subclasses :class:`ActionPage` with what is its own
(the object the page acts on, its transition check and where to go back to).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.views import View

from core.errors import DomainError, NotPermitted
from core.roles import Capability, user_can

ViewFunction = Callable[..., HttpResponse]


def domain_error_page(request: HttpRequest, error: DomainError) -> HttpResponse:
    """The page for a domain error no form showed: 403 for ``NotPermitted`` (through Django's
    403 handler), else the error page with the error's status and message."""
    if isinstance(error, NotPermitted):
        raise PermissionDenied(error.message) from error
    messages_ = [message for field_messages in (error.errors or {}).values() for message in field_messages]
    context = {
        "title": "There is a problem" if error.status_code == 400 else "This cannot be done now",
        "message": error.message,
        "details": [message for message in messages_ if message != error.message],
    }
    return render(request, "core/error.html", context, status=error.status_code)


def answering_domain_errors(view: ViewFunction) -> ViewFunction:
    """Wrap a page view so a domain error it raises becomes its page (``domain_error_page``)."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except DomainError as error:
            return domain_error_page(request, error)

    return wrapped


def requires(capability: Capability) -> Callable[[ViewFunction], ViewFunction]:
    """Refuse (403) anyone whose roles lack ``capability``; answer the view's domain errors
    (``answering_domain_errors``). Anonymous users never get here: the sign-in middleware sends
    them to sign in first."""

    def decorator(view: ViewFunction) -> ViewFunction:
        answered = answering_domain_errors(view)

        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not user_can(request.user, capability):
                request.authz_reason = f"needs:{capability.value}"[:40]  # type: ignore[attr-defined]
                raise PermissionDenied
            return answered(request, *args, **kwargs)

        return wrapped

    return decorator


def form_add_domain_error(form: forms.BaseForm, error: DomainError) -> None:
    """Attach a service's errors to the form so the error summary and the fields show them.

    Errors naming a field the form has go on that field; the rest become non-field errors.
    ``NotPermitted`` is not the form's to show: it is raised on, and the page helper answers 403.
    """
    if isinstance(error, NotPermitted):
        raise error
    placed = False
    for field, messages_ in (error.errors or {}).items():
        for message in messages_:
            if field in form.fields:
                form.add_error(field, message)
            else:
                form.add_error(None, message)
            placed = True
    if not placed:
        form.add_error(None, error.message)


def pagination(page: Any, query: str) -> dict[str, Any]:
    """The GOV.UK pagination component's items for a Django ``Page``: the first and last pages,
    the current page and its neighbours, with an ellipsis for each gap.

    ``query`` is the rest of the URL's query string, already encoded and without ``page``; each
    link keeps it. Pure: reads only the page and its paginator (whose count the caller's
    paginator has already made), so it needs no database of its own.
    """

    def url(number: int) -> str:
        return "?" + (f"{query}&" if query else "") + urlencode({"page": number})

    last = page.paginator.num_pages
    # A capped count (``core.api.CappedPaginator``) does not know the last page: no
    # link to it, an ellipsis after the neighbours.
    capped = getattr(page.paginator, "capped", False)
    ends = {1} if capped else {1, last}
    wanted = sorted((ends | {page.number - 1, page.number, page.number + 1}) & set(range(1, last + 1)))
    items: list[dict[str, Any]] = []
    previous = 0
    for number in wanted:
        if number - previous > 1:
            items.append({"ellipsis": True})
        items.append({"number": number, "url": url(number), "current": number == page.number})
        previous = number
    if capped:
        items.append({"ellipsis": True})
    return {
        "show": last > 1,
        "items": items,
        "previous": url(page.previous_page_number()) if page.has_previous() else None,
        "next": url(page.next_page_number()) if page.has_next() else None,
    }


class ActionPage(View):
    """One page per workflow action: GET shows the form, POST calls exactly one service.

    The capability is checked before anything is read, so somebody without the role is refused
    (403) without learning whether the object exists or what state it is in. A domain error goes
    back on the form (through the form's own ``add_domain_error`` when it has one, to rename a
    service's keys to its fields); success returns with a banner.

    A subclass provides ``capability``, ``load`` (read the object from the URL's arguments),
    ``perform`` (the service call), ``success_url`` and ``page_context``; ``not_allowed_now``
    turns the page away on GET with a banner when the object's status does not allow the action.
    """

    form_class: type[forms.Form]
    template_name: str
    title: str = ""
    submit_label: str = "Continue"
    success_message: str = ""
    intro: str = ""
    # The status of a page whose form has errors.
    invalid_status: int = 200

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not user_can(request.user, self.capability()):
            raise PermissionDenied
        try:
            self.load(**kwargs)
            return super().dispatch(request, *args, **kwargs)
        except DomainError as error:
            return domain_error_page(request, error)

    def capability(self) -> Capability:
        """Each subclass: the capability the action needs (checked before anything loads)."""
        raise NotImplementedError

    def load(self, **kwargs: Any) -> None:
        """Each subclass: read the object named in the URL (404 when it is not visible)."""
        raise NotImplementedError

    def not_allowed_now(self) -> str | None:
        return None

    def form_kwargs(self) -> dict[str, Any]:
        return {}

    def initial(self) -> dict[str, Any]:
        return {}

    def get(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        problem = self.not_allowed_now()
        if problem:
            messages.error(request, problem)
            return redirect(self.cancel_url())
        return self.render_form(self.form_class(initial=self.initial(), **self.form_kwargs()))

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        form = self.form_class(request.POST, **self.form_kwargs())
        if form.is_valid():
            try:
                self.perform(form)
            except DomainError as exc:
                adder = getattr(form, "add_domain_error", None)
                if adder is not None:
                    adder(exc)
                else:
                    form_add_domain_error(form, exc)
            else:
                messages.success(request, self.success_message)
                return redirect(self.success_url())
        return self.render_form(form, status=self.invalid_status)

    def perform(self, form: Any) -> Any:
        """Each subclass: call its one service with the form's cleaned data."""
        raise NotImplementedError

    def success_url(self) -> str:
        """Each subclass: where the person goes after the action succeeds."""
        raise NotImplementedError

    def cancel_url(self) -> str:
        return self.success_url()

    def page_context(self) -> dict[str, Any]:
        """What every page of the app's actions shows (the object, its caption)."""
        return {}

    def extra_context(self) -> dict[str, Any]:
        """What this one action's page adds."""
        return {}

    def render_form(self, form: forms.Form, *, status: int = 200) -> HttpResponse:
        context = {
            "form": form,
            "title": self.title,
            "submit_label": self.submit_label,
            "intro": self.intro,
            "cancel_url": self.cancel_url(),
            "back_url": self.cancel_url(),
            **self.page_context(),
            **self.extra_context(),
        }
        return render(self.request, self.template_name, context, status=status)
