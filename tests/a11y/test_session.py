"""A form sent after the session ended is kept (without passwords or files) and offered back,
once, after signing in again (core/session.py; WCAG 2.2.1)."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.sessions.models import Session
from django.test import Client

from tests.conftest import PERSONA_PASSWORD


def _expire_every_session() -> None:
    Session.objects.all().delete()  # what 30 idle minutes do on the server


@pytest.mark.django_db
def test_a_form_sent_after_the_session_ended_is_kept_and_offered_back_once(personas):
    officer = personas.officer
    client = Client()
    client.force_login(officer)
    _expire_every_session()

    sent = client.post(
        "/requests/new/",
        {"forename": "Zebedee", "surname": "", "password_hint": "secret", "csrfmiddlewaretoken": "t"},
        HTTP_REFERER="http://testserver/requests/new/",
    )
    assert sent.status_code == 302
    location = urlsplit(sent["Location"])
    assert location.path == "/sign-in/"
    query = parse_qs(location.query)
    assert query["timeout"] == ["1"]
    target = query["next"][0]
    assert target.startswith("/requests/new/?restore=")

    sign_in_page = client.get(sent["Location"])
    assert "You have been signed out" in sign_in_page.content.decode()
    assert "We have kept what you typed" in sign_in_page.content.decode()

    signed_in = client.post("/sign-in/", {"username": officer.username, "password": PERSONA_PASSWORD, "next": target})
    assert signed_in.status_code == 302 and signed_in["Location"] == target

    page = client.get(target).content.decode()
    assert "You were signed out before your form was sent" in page
    kept = json.loads(re.search(r'id="app-kept-form" type="application/json">(.*?)</script>', page).group(1))
    assert kept["fields"] == {"forename": ["Zebedee"]}  # no password, no token, no empty field
    assert kept["action"] == "/requests/new/"

    again = client.get(target).content.decode()
    assert "app-kept-form" not in again  # one time only


@pytest.mark.django_db
def test_a_kept_form_is_not_shown_on_another_page(personas):
    client = Client()
    client.force_login(personas.officer)
    _expire_every_session()
    sent = client.post("/requests/new/", {"forename": "Zebedee"}, HTTP_REFERER="http://testserver/requests/new/")
    token = parse_qs(urlsplit(parse_qs(urlsplit(sent["Location"]).query)["next"][0]).query)["restore"][0]
    client.post("/sign-in/", {"username": personas.officer.username, "password": PERSONA_PASSWORD})
    assert "app-kept-form" not in client.get(f"/requests/?restore={token}").content.decode()


@pytest.mark.django_db
def test_a_post_with_nothing_typed_just_goes_to_sign_in(client):
    response = client.post("/requests/new/", {"csrfmiddlewaretoken": "t"})
    assert response.status_code == 302
    assert "restore" not in parse_qs(urlsplit(response["Location"]).query)["next"][0]


@pytest.mark.django_db
def test_stay_signed_in_answers_with_the_time_left(client, personas):
    client.force_login(personas.officer)
    response = client.post("/session/extend/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200 and response.json() == {"seconds_left": 30 * 60}
    assert client.post("/session/extend/", {"next": "/requests/"})["Location"] == "/requests/"
    assert client.post("/session/extend/", {"next": "https://elsewhere.example/"})["Location"] == "/"


@pytest.mark.django_db
def test_time_running_out_signs_out_and_keeps_the_text(client, personas):
    client.force_login(personas.officer)
    response = client.post(
        "/session/keep/?page=/requests/new/&action=/requests/new/", {"forename": "Zebedee", "password": "x"}
    )
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session  # signed out
    next_page = parse_qs(urlsplit(response["Location"]).query)["next"][0]
    assert next_page.startswith("/requests/new/?restore=")
