"""schemathesis over the whole OpenAPI schema, as an officer, a head teacher on the panel and a
manager (issue 14 item 5): 0 failures with every default check on, including
``negative_data_rejection`` (what the schema calls invalid is refused) and
``positive_data_acceptance`` (what the schema calls valid is not refused with a 400: a body
naming a record that is not there is a 404, and rules across fields are in the schema; see
docs/security.md, "The schema says what the API does").

Bounded examples with a fixed seed (``derandomize``) so a run is repeatable;
``SCHEMATHESIS_MAX_EXAMPLES`` raises the bound for a nightly run. The
schema is generated in-process once (the served one is for integrators only) and the cases are
sent to the WSGI application in-process.
"""

from __future__ import annotations

import functools
import json
import os
import re

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.generators import EndpointEnumerator, SchemaGenerator
from hypothesis import HealthCheck, settings
from schemathesis.checks import load_all_checks
from schemathesis.generation.feedback import FeedbackSources
from schemathesis.pytest._test_builder import build_operation_test
from schemathesis.python._constants.orchestrator import make_constants_value_source
from schemathesis.schemas import APIOperation, BaseSchema

from core.roles import Role
from senportal.wsgi import application
from tests.conftest import api_token_for, make_user
from tests.panels.factories import HeadTeacherMemberFactory

ROLES = ["officer", "head_teacher", "manager"]


def _user_for(role: str):
    if role == "officer":
        return make_user(Role.SEN_OFFICER, username="schemathesis_officer")
    if role == "manager":
        return make_user(Role.MANAGER, username="schemathesis_manager")
    head = HeadTeacherMemberFactory(user=make_user(Role.PANEL_MEMBER, username="schemathesis_head_teacher"))
    return head.user


@pytest.fixture
def api_token(db, request) -> str:
    return api_token_for(_user_for(request.param))


def _normalised(path: str) -> str:
    """A path with its parameter names blanked: the URL conf says ``{pk}``, the schema ``{id}``."""
    return re.sub(r"\{[^}]+\}", "{}", path)


def _operations_in_the_url_conf() -> list[tuple[str, str]]:
    """(METHOD, path) of every API operation, read from the URL conf alone: cheap enough for
    collection, where generating the schema (and schemathesis' tests from it) took most of the
    suite's collection time. The schema's own views document the API and are not part of it."""
    operations = []
    for path, _regex, method, callback in EndpointEnumerator().get_api_endpoints():
        view_class = getattr(callback, "cls", None)
        if view_class is None or view_class.__module__.startswith("drf_spectacular."):
            continue
        operations.append((method, _normalised(path)))
    return sorted(set(operations))


@functools.cache
def api_schema() -> BaseSchema:
    """The schema as the API serves it, generated in-process once, when the first case runs
    (serving it needs a signed-in user, and none exists at collection)."""
    document = SchemaGenerator().get_schema(request=None, public=True)
    loaded = schemathesis.openapi.from_dict(json.loads(json.dumps(document, default=str)))
    loaded.app = application
    loaded.location = "/api/schema/"
    # CI: the examples and a bounded fuzzing phase (``max_examples``). The coverage phase is
    # not bounded by it (several hundred cases an operation): ask for it with
    # SCHEMATHESIS_PHASES=examples,coverage,fuzzing in a nightly run.
    phases = set(os.environ.get("SCHEMATHESIS_PHASES", "examples,fuzzing").split(","))
    loaded.config.phases.examples.enabled = "examples" in phases
    loaded.config.phases.coverage.enabled = "coverage" in phases
    loaded.config.phases.fuzzing.enabled = "fuzzing" in phases
    return loaded


@functools.cache
def _feedback() -> FeedbackSources:
    """What schemathesis' own parametrisation feeds generation: constants found in the code."""
    return FeedbackSources(constants_value_source=make_constants_value_source(api_schema()))


def _schema_operation(method: str, path: str) -> APIOperation:
    schema = api_schema()
    for documented in schema.raw_schema["paths"]:
        if _normalised(documented) == path:
            return schema[documented][method]
    raise LookupError(f"{method} {path} is in the URL conf but not in the OpenAPI schema")


OPERATIONS = _operations_in_the_url_conf()
HYPOTHESIS_SETTINGS = settings(
    max_examples=int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "4")),
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def test_every_documented_operation_is_fuzzed():
    documented = {
        (method.upper(), _normalised(path))
        for path, methods in api_schema().raw_schema["paths"].items()
        for method in methods
        if method in {"get", "put", "post", "patch", "delete"}
    }
    assert set(OPERATIONS) == documented


def test_no_check_is_switched_off():
    """Every check schemathesis ships is on, ``positive_data_acceptance`` and
    ``negative_data_rejection`` included, with their default expected statuses (a 400 for a
    valid request is never made acceptable here)."""
    checks = api_schema().config.checks
    assert checks.positive_data_acceptance.enabled and checks.negative_data_rejection.enabled
    assert "400" not in checks.positive_data_acceptance.expected_statuses


def _run_operation(method: str, path: str, token: str) -> list[str]:
    """schemathesis' examples, coverage and fuzzing phases for one operation, as
    ``schema.parametrize()`` would run them, on a schema generated at run time; the failures'
    summaries (empty when it conforms)."""
    calls = []

    def check(case):
        calls.append(case)
        case.call_and_validate(headers={"Authorization": f"Bearer {token}"})

    run = build_operation_test(
        config=api_schema().config,
        operation=_schema_operation(method, path),
        test_func=check,
        given_kwargs={},
        feedback=_feedback(),
        explicit_settings=HYPOTHESIS_SETTINGS,
    )
    try:
        run()
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as failure:  # noqa: BLE001  # schemathesis' FailureGroup, hypothesis' errors
        return [f"{method} {path}: {_summary(failure)}"]
    if not calls:
        return [f"{method} {path}: no case was generated"]
    return []


def _summary(failure: BaseException) -> str:
    text = str(failure)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return " | ".join(lines[:12])


@pytest.mark.django_db
@pytest.mark.parametrize("api_token", ROLES, indirect=True)
def test_api_conforms_to_its_schema(api_token):
    """Every operation, one role a test (one database set-up each: a test per operation spent
    most of its time making and flushing the database)."""
    load_all_checks()
    # The WSGI application would close the test's database connection at the end of each
    # request, as Django's own test client prevents: keep it open for the test's transaction.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        failures = []
        for method, path in OPERATIONS:
            failures.extend(_run_operation(method, path, api_token))
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    assert failures == [], "\n".join(failures)
