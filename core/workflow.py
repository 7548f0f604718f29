"""Transition tables, generically: what every app's ``workflow.py`` reads its table with.

Decision 3: each lifecycle is a table keyed by ``(status, action)`` giving the status after the
action and the capability it needs. The apps keep their own statuses, actions, tables and
wording (a refusal reads "A request that is … cannot …"); this module holds only the shape of a
table entry, the error and the three lookups, so that they are written once.

Pure Python (no Django import): the apps' rule tests run without a database.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from core.roles import Capability

__all__ = ["Transition", "TransitionError", "action_capabilities", "allowed_actions", "check"]

StatusT = TypeVar("StatusT")
ActionT = TypeVar("ActionT")


@dataclass(frozen=True)
class Transition(Generic[StatusT]):
    """What an action does from one status: the status after it and who may take it.

    ``to`` is ``None`` when the status does not change. ``restores`` marks an action whose
    target is not in the table but read from the case's history (reopening a request goes back
    to the status it had before it closed).
    """

    to: StatusT | None
    capability: Capability
    restores: bool = False

    def status_after(self, status: StatusT) -> StatusT:
        """The status after the action from ``status`` (for a ``restores`` action, see above)."""
        return self.to if self.to is not None else status


class TransitionError(Exception):
    """The action is not allowed from the current status."""

    def __init__(self, message: str, *, status: Any = None, action: Any = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.action = action


Table = Mapping[tuple[StatusT, ActionT], Transition[StatusT]]


def check(
    table: Table[StatusT, ActionT],
    status: StatusT,
    action: ActionT,
    refusal: Callable[[StatusT, ActionT], str],
) -> Transition[StatusT]:
    """The transition for ``action`` from ``status``, or :class:`TransitionError` with the
    message ``refusal(status, action)`` gives."""
    transition = table.get((status, action))
    if transition is None:
        raise TransitionError(refusal(status, action), status=status, action=action)
    return transition


def allowed_actions(table: Table[StatusT, ActionT], status: StatusT, actions: Iterable[ActionT]) -> list[ActionT]:
    """The actions the table allows from ``status``, in the order ``actions`` gives them."""
    return [action for action in actions if (status, action) in table]


def action_capabilities(table: Table[StatusT, ActionT]) -> dict[ActionT, Capability]:
    """Each action's capability, for tables in which an action needs the same capability
    whichever status it starts from (checked first, so that somebody without the role is
    refused without learning the status). A table that breaks that rule is a mistake."""
    capabilities: dict[ActionT, Capability] = {}
    for (_, action), transition in table.items():
        if capabilities.setdefault(action, transition.capability) != transition.capability:
            raise ValueError(f"{action} needs different capabilities from different statuses")
    return capabilities
