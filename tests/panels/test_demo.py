"""The panel demo without its demo users adds nothing (the full panel demo is judged in
tests/demo/test_panels_demo.py, on the demo built once)."""

from __future__ import annotations

import random

import pytest

from demo import core_demo, panels_demo
from panels.models import PanelMeeting, PanelMember

pytestmark = pytest.mark.django_db


def test_without_demo_users_the_panel_demo_is_skipped():
    rng = random.Random(2018)
    core_demo.seed_establishments(rng, core_demo.seed_districts())
    summary = panels_demo.seed(rng)
    assert summary.skipped
    assert PanelMeeting.objects.count() == 0 and PanelMember.objects.count() == 0
