"""schemathesis over the whole OpenAPI schema: no server errors, responses match the schema.

Bounded examples with a fixed seed so a run is repeatable. Two checks stay off on purpose:
``negative_data_rejection`` (django-filter treats an empty filter value as "no filter") and
``positive_data_acceptance`` (a schema-valid body can still break a business rule, e.g. a
duplicate reference, which is a 400 by design).
"""

from __future__ import annotations

import functools
import json
import re

import pytest
import schemathesis
from drf_spectacular.generators import EndpointEnumerator, SchemaGenerator
from hypothesis import HealthCheck, settings
from schemathesis.checks import load_all_checks, negative_data_rejection, positive_data_acceptance
from schemathesis.generation.feedback import FeedbackSources
from schemathesis.pytest._test_builder import build_operation_test
from schemathesis.python._constants.orchestrator import make_constants_value_source
from schemathesis.schemas import APIOperation, BaseSchema

from core.roles import Role
from senportal.wsgi import application
from tests.conftest import api_token_for, make_user


@pytest.fixture
def api_token(db) -> str:
    user = make_user(
        Role.MANAGER, Role.SEN_OFFICER, Role.PANEL_CHAIR, Role.FINANCE_OFFICER, username="schemathesis_manager"
    )
    return api_token_for(user)


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
    max_examples=15,
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


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_api_conforms_to_its_schema(method, path, api_token):
    """schemathesis' examples, fuzzing and coverage phases for one operation, as
    ``schema.parametrize()`` would run them, on a schema generated at run time."""
    schema = api_schema()
    load_all_checks()

    calls = []

    def check(case):
        calls.append(case)
        case.call_and_validate(
            headers={"Authorization": f"Bearer {api_token}"},
            excluded_checks=[negative_data_rejection, positive_data_acceptance],
        )

    run = build_operation_test(
        config=schema.config,
        operation=_schema_operation(method, path),
        test_func=check,
        given_kwargs={},
        feedback=_feedback(),
        explicit_settings=HYPOTHESIS_SETTINGS,
    )
    run()
    assert calls, f"no case was generated for {method} {path}"
