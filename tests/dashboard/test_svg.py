"""Server-drawn SVG charts for the printed report (no database)."""

from __future__ import annotations

from xml.etree import ElementTree

from reporting.svg import bar_chart

NS = "{http://www.w3.org/2000/svg}"


def test_a_bar_chart_is_an_accessible_svg_with_a_bar_per_value():
    svg = bar_chart(
        title="Requests <received>",
        description="Requests received each month, March 2024 to March 2025.",
        labels=["Jan 2025", "Feb 2025", "Mar 2025"],
        series=[("Requests received", [10, None, 30]), ("Refused", [1, 2, 3])],
    )
    root = ElementTree.fromstring(svg)  # well-formed, text escaped
    assert root.get("role") == "img"
    assert root.find(f"{NS}title").text == "Requests <received>"
    bars = [r for r in root.iter(f"{NS}rect") if r.get("y") != "6"]  # legend swatches sit at y=6
    assert len(bars) == 5  # the missing February request count draws no bar
    assert "Mar 2025" in [t.text for t in root.iter(f"{NS}text")]


def test_a_percentage_chart_runs_to_100():
    svg = bar_chart(title="t", description="d", labels=["a"], series=[("s", [40.0])], unit="percent")
    assert ">100%<" in svg and ">0%<" in svg
