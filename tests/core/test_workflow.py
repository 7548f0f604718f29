"""The generic transition-table helpers every app's workflow.py reads its table with (no database)."""

from __future__ import annotations

import ast
import enum
import inspect

import pytest

from core import workflow
from core.roles import Capability
from core.workflow import Transition, TransitionError, action_capabilities, allowed_actions, check


class Light(enum.StrEnum):
    RED = "red"
    GREEN = "green"


class Press(enum.StrEnum):
    GO = "go"
    STOP = "stop"
    HONK = "honk"


C = Capability
TABLE: dict[tuple[Light, Press], Transition[Light]] = {
    (Light.RED, Press.GO): Transition(Light.GREEN, C.REQUEST_DECIDE),
    (Light.GREEN, Press.STOP): Transition(Light.RED, C.REQUEST_DECIDE),
    (Light.RED, Press.HONK): Transition(None, C.REQUEST_VIEW),
    (Light.GREEN, Press.HONK): Transition(None, C.REQUEST_VIEW),
}


def refusal(status: Light, action: Press) -> str:
    return f"A {status} light cannot {action}."


def test_check_returns_the_tables_entry() -> None:
    assert check(TABLE, Light.RED, Press.GO, refusal) is TABLE[(Light.RED, Press.GO)]


def test_check_refuses_an_action_the_table_lacks_with_the_apps_wording() -> None:
    with pytest.raises(TransitionError, match="A green light cannot go.") as raised:
        check(TABLE, Light.GREEN, Press.GO, refusal)
    assert (raised.value.message, raised.value.status, raised.value.action) == (
        "A green light cannot go.",
        Light.GREEN,
        Press.GO,
    )


@pytest.mark.parametrize(
    ("status", "action", "after"),
    [(Light.RED, Press.GO, Light.GREEN), (Light.RED, Press.HONK, Light.RED), (Light.GREEN, Press.HONK, Light.GREEN)],
)
def test_status_after_is_the_target_or_unchanged(status: Light, action: Press, after: Light) -> None:
    assert TABLE[(status, action)].status_after(status) is after


def test_allowed_actions_keep_the_order_given() -> None:
    assert allowed_actions(TABLE, Light.RED, Press) == [Press.GO, Press.HONK]
    assert allowed_actions(TABLE, Light.GREEN, reversed(list(Press))) == [Press.HONK, Press.STOP]


def test_each_action_has_one_capability() -> None:
    assert action_capabilities(TABLE) == {
        Press.GO: C.REQUEST_DECIDE,
        Press.STOP: C.REQUEST_DECIDE,
        Press.HONK: C.REQUEST_VIEW,
    }


def test_a_table_giving_one_action_two_capabilities_is_refused() -> None:
    table = {**TABLE, (Light.GREEN, Press.HONK): Transition(None, C.REQUEST_DECIDE)}
    with pytest.raises(ValueError, match="honk needs different capabilities"):
        action_capabilities(table)


def test_module_imports_no_django() -> None:
    tree = ast.parse(inspect.getsource(workflow))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names} | {
        node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
    }
    assert not any(name.split(".")[0] == "django" for name in imported)
