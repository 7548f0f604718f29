"""Load scenario for SEN Portal (``bench/load.sh`` runs it headless against gunicorn on
127.0.0.1 with the county data set).

Three kinds of user, signed in with the demo accounts (core.demo, password sen-portal-demo):

- officers (most users) working the triage queue: the queue page with and without filters,
  the queue API, and the record of a request picked from the queue;
- panel members reading the packs of meetings whose papers are out;
- managers on the dashboard and the cases behind its numbers.

Only 127.0.0.1 is ever a target (load.sh passes --host). With DEBUG off the session and CSRF
cookies are marked Secure, which an HTTP client keeps but does not send over plain HTTP; the
users therefore send them in a Cookie header of their own (gunicorn here has no TLS in front).
"""

from __future__ import annotations

import random
import re
from typing import Any

from locust import HttpUser, between, task

PASSWORD = "sen-portal-demo"
REQUEST_LINK = re.compile(r'href="/requests/(\d+)/"')
MEETING_LINK = re.compile(r'href="/panel/meetings/(\d+)/"')
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class _SignedIn(HttpUser):
    abstract = True
    username = ""
    wait_time = between(1, 3)

    def on_start(self) -> None:
        self.cookies: dict[str, str] = {}
        page = self._get("/sign-in/", name="/sign-in/")
        token = CSRF_INPUT.search(page.text)
        assert token, "no CSRF token on the sign-in page"
        response = self.client.post(
            "/sign-in/",
            data={"username": self.username, "password": PASSWORD, "csrfmiddlewaretoken": token.group(1)},
            headers={"Cookie": self._cookie_header(), "Referer": f"{self.host}/sign-in/"},
            allow_redirects=False,
            name="/sign-in/ (POST)",
        )
        self._keep(response)
        if response.status_code != 302 or "sessionid" not in self.cookies:
            raise RuntimeError(f"{self.username} could not sign in ({response.status_code})")

    def _cookie_header(self) -> str:
        return "; ".join(f"{key}={value}" for key, value in self.cookies.items())

    def _keep(self, response: Any) -> None:
        for cookie in response.cookies:
            self.cookies[cookie.name] = cookie.value or ""

    def _get(self, url: str, *, name: str) -> Any:
        with self.client.get(
            url, headers={"Cookie": self._cookie_header()}, name=name, catch_response=True, allow_redirects=False
        ) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code} for {url}")
            else:
                response.success()
            self._keep(response)
            return response


class Officer(_SignedIn):
    weight = 6
    username = "officer"

    def on_start(self) -> None:
        super().on_start()
        self.request_ids: list[str] = []

    @task(4)
    def queue(self) -> None:
        page = self._get("/requests/", name="/requests/ (queue)")
        self.request_ids = REQUEST_LINK.findall(page.text) or self.request_ids

    @task(2)
    def queue_filtered(self) -> None:
        district = random.randint(1, 12)
        query = random.choice([f"district={district}&overdue=true", "due_within=14", "unassigned=true"])
        page = self._get(f"/requests/?{query}", name="/requests/?filters")
        self.request_ids = REQUEST_LINK.findall(page.text) or self.request_ids

    @task(2)
    def queue_api(self) -> None:
        self._get("/api/requests/?open=true", name="/api/requests/")

    @task(5)
    def record(self) -> None:
        if not self.request_ids:
            self.queue()
        if self.request_ids:
            self._get(f"/requests/{random.choice(self.request_ids)}/", name="/requests/[id]/")

    @task(1)
    def advice_queue(self) -> None:
        self._get("/requests/advice/", name="/requests/advice/")


class PanelMember(_SignedIn):
    weight = 2
    username = "panel"

    def on_start(self) -> None:
        super().on_start()
        self.meeting_ids: list[str] = []

    @task(1)
    def meetings(self) -> None:
        page = self._get("/panel/", name="/panel/ (meetings)")
        self.meeting_ids = MEETING_LINK.findall(page.text) or self.meeting_ids

    @task(3)
    def pack(self) -> None:
        if not self.meeting_ids:
            self.meetings()
        if self.meeting_ids:
            self._get(f"/panel/meetings/{random.choice(self.meeting_ids)}/pack/", name="/panel/meetings/[id]/pack/")


class Manager(_SignedIn):
    weight = 2
    username = "manager"

    @task(3)
    def dashboard(self) -> None:
        self._get("/dashboard/", name="/dashboard/")

    @task(1)
    def cases(self) -> None:
        self._get("/dashboard/cases/?metric=open_requests&date=" + _today(), name="/dashboard/cases/")


def _today() -> str:
    from datetime import date

    return date.today().isoformat()
