"""Template helpers for placements: money in pounds."""

from __future__ import annotations

from typing import Any

from django import template

from placements import workflow

register = template.Library()


@register.filter
def pounds(pence: Any) -> str:
    """``1666667`` -> ``£16,666.67``; empty for no amount."""
    if pence is None or pence == "":
        return ""
    return workflow.format_pounds(int(pence))


@register.filter
def uplift_words(pence: Any) -> str:
    """``365000`` -> ``£3,650.00 more a year``; a reduction as "less", nothing as "No change"."""
    if pence is None or pence == "":
        return ""
    return workflow.uplift_words(int(pence))


@register.filter
def pounds_input(pence: Any) -> str:
    """``1666667`` -> ``16666.67``: an amount as typed into a money field."""
    if pence is None or pence == "":
        return ""
    whole, pennies = divmod(int(pence), 100)
    return f"{whole}.{pennies:02d}"
