"""Every form's error messages name the field and say what to do (GOV.UK error message guidance,
WCAG 3.3.1 and 2.4.4): submitted empty, no form shows one of Django's generic messages, and no
two links in its error summary read the same."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from typing import Any

import pytest
from django import forms
from django.template.loader import render_to_string
from django.test import RequestFactory

from core.documents import policy_for
from core.forms import GovukFormMixin, field_phrase
from panels.models import PanelMeeting
from tests.conftest import make_user

APPS = ("core", "requests_app", "panels", "placements", "reporting")

# Django's own wording (django/forms/fields.py, django/core/validators.py): none may reach a page.
DJANGO_GENERIC = (
    "This field is required",
    "Select a valid choice",
    "Enter a valid",
    "Enter a whole number",
    "Enter a number",
    "Enter a list of values",
    "Ensure this value",
    "No file was submitted",
    "The submitted file is empty",
    "is not a valid value",
)

# Arguments some forms take besides the data (the choices a view passes in).
CONSTRUCTOR_ARGUMENTS: dict[str, Any] = {
    "number": 1,
    "meeting": None,
    "later": PanelMeeting.objects.none(),
    "providers": [(1, "Provider")],
    "districts": [],
    "provider": None,
    "request_obj": None,
    "contacts": [],
}


def project_form_classes() -> list[type[forms.BaseForm]]:
    found: dict[str, type[forms.BaseForm]] = {}
    for app in APPS:
        package = importlib.import_module(app)
        for module_info in pkgutil.walk_packages(package.__path__, f"{app}."):
            if ".migrations" in module_info.name or ".management" in module_info.name:
                continue
            module = importlib.import_module(module_info.name)
            for name, value in vars(module).items():
                if (
                    inspect.isclass(value)
                    and issubclass(value, GovukFormMixin)
                    and value.__module__ == module.__name__
                    and getattr(value, "base_fields", None)
                ):
                    found[f"{value.__module__}.{name}"] = value
    return [found[key] for key in sorted(found)]


def _build(form_class: type[forms.BaseForm], data: dict[str, Any]) -> forms.BaseForm:
    parameters = inspect.signature(form_class.__init__).parameters
    kwargs = {name: value for name, value in CONSTRUCTOR_ARGUMENTS.items() if name in parameters}
    user = make_user(username="form_checker")
    if "request" in parameters:  # the sign-in form; the fresh sign-in (sudo mode) form
        kwargs["request"] = RequestFactory().post("/sign-in/")
        kwargs["request"].user = user
    if "user" in parameters:  # the sign-in's second step
        kwargs["user"] = user
    if "policy" in parameters:  # a document upload: the request's documents
        kwargs["policy"] = policy_for("request")
    return form_class(data=data, **kwargs)


def summary_links(form: forms.BaseForm) -> list[str]:
    html = render_to_string("includes/error_summary.html", {"form": form})
    return [part.split(">", 1)[1].split("</a>", 1)[0] for part in html.split('<li><a href="')[1:]]


def test_every_form_in_the_project_is_found():
    names = {f"{c.__module__}.{c.__name__}" for c in project_form_classes()}
    assert {"core.views.SignInForm", "requests_app.forms.NewRequestForm", "placements.forms.UploadForm"} <= names
    assert len(names) >= 30


@pytest.mark.django_db
@pytest.mark.parametrize("form_class", project_form_classes(), ids=lambda c: f"{c.__module__}.{c.__name__}")
def test_an_empty_form_names_each_field_in_its_errors(form_class):
    form = _build(form_class, {})
    form.is_valid()
    links = summary_links(form)
    generic = [link for link in links if any(text in link for text in DJANGO_GENERIC)]
    assert generic == []
    assert len(links) == len(set(links)), f"error summary links repeat: {links}"


@pytest.mark.django_db
@pytest.mark.parametrize("form_class", project_form_classes(), ids=lambda c: f"{c.__module__}.{c.__name__}")
def test_wrong_values_get_messages_that_name_the_field(form_class):
    """Text in every box, an unknown choice in every list: still no generic message."""
    form = _build(form_class, {})
    data: dict[str, Any] = {}
    for name, field in form.fields.items():
        if isinstance(field.widget, forms.HiddenInput):
            continue
        data[name] = "x" * 400  # too long for a text box, not a number, not a choice
    form = _build(form_class, data)
    form.is_valid()
    links = summary_links(form)
    assert [link for link in links if any(text in link for text in DJANGO_GENERIC)] == []


@pytest.mark.parametrize(
    ("label", "phrase"),
    [
        ("First name", "the first name"),
        ("UPN", "the UPN"),
        ("Who asked", "who asked"),
        ("Date the request was received", "the date the request was received"),
        ("Requester's email address", "the requester's email address"),
    ],
)
def test_a_label_reads_as_part_of_a_sentence(label, phrase):
    assert field_phrase(label) == phrase


def test_the_default_messages_follow_the_widget():
    class Example(GovukFormMixin, forms.Form):
        district = forms.ChoiceField(choices=[("", "Select"), ("1", "Swale")])
        postcode = forms.CharField(max_length=8)
        sessions = forms.IntegerField(min_value=0)
        email = forms.EmailField()

    form = Example(data={"district": "9", "postcode": "x" * 9, "sessions": "-1", "email": "nope"})
    assert not form.is_valid()
    assert form.errors == {
        "district": ["Select the district from the list"],
        "postcode": ["Postcode must be 8 characters or fewer"],
        "sessions": ["Sessions must be 0 or more"],
        "email": ["Enter the email in the correct format, like name@example.com"],
    }
    assert Example(data={})["district"].errors == ["Select the district"]


def test_a_hint_stays_described_when_the_field_has_an_error():
    class Example(GovukFormMixin, forms.Form):
        upn = forms.CharField(label="UPN", help_text="13 letters and numbers")

    form = Example(data={})
    form.is_valid()
    html = str(form["upn"])
    assert 'aria-describedby="id_upn_helptext id_upn-error"' in html
    page = form["upn"].as_field_group()
    assert 'id="id_upn_helptext"' in page and 'id="id_upn-error"' in page
