"""Charts drawn on the server as SVG (pure; no database), so the printed and PDF report has
them: the browser's charts are drawn by JavaScript, which a PDF renderer does not run.

Each chart is an ``<svg role="img">`` with a ``<title>`` and a ``<desc>`` for screen readers;
the report puts the same figures in a table beside it. Text is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

PALETTE = ("#1d70b8", "#f47738", "#00703c", "#912b88", "#505a5f")  # GOV.UK colours


def _number(value: float, unit: str) -> str:
    if unit == "percent":
        return f"{value:.0f}%"
    return f"{value:,.0f}"


def _nice_max(values: Sequence[float], unit: str) -> float:
    top = max(values, default=0.0)
    if unit == "percent":
        return 100.0
    if top <= 0:
        return 1.0
    step = 10 ** max(len(str(int(top))) - 1, 0)
    return float(((int(top) // step) + 1) * step)


def bar_chart(
    *,
    title: str,
    description: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    unit: str = "count",
    width: int = 640,
    height: int = 260,
) -> str:
    """Grouped bars: one group per label, one bar per series (a missing value draws no bar)."""
    left, right, top, bottom = 56, 12, 28, 48
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for _, data in series for v in data if v is not None]
    y_max = _nice_max(values, unit)
    group_w = plot_w / max(len(labels), 1)
    bar_w = max(group_w * 0.8 / max(len(series), 1), 1.0)
    ident = abs(hash((title, tuple(labels)))) % 10**8
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="app-svg-chart" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-labelledby="svg-title-{ident} svg-desc-{ident}">',
        f'<title id="svg-title-{ident}">{escape(title)}</title>',
        f'<desc id="svg-desc-{ident}">{escape(description)}</desc>',
    ]
    for tick in range(5):
        value = y_max * tick / 4
        y = top + plot_h - plot_h * tick / 4
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#b1b4b6" stroke-width="0.5"/>'
        )
        parts.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" fill="#0b0c0c">'
            f"{_number(value, unit)}</text>"
        )
    for index, label in enumerate(labels):
        x0 = left + group_w * index + group_w * 0.1
        for s, (_, data) in enumerate(series):
            value = data[index] if index < len(data) else None
            if value is None:
                continue
            h = plot_h * min(value, y_max) / y_max
            parts.append(
                f'<rect x="{x0 + s * bar_w:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w * 0.9:.1f}" height="{h:.1f}" '
                f'fill="{PALETTE[s % len(PALETTE)]}"/>'
            )
        parts.append(
            f'<text x="{left + group_w * (index + 0.5):.1f}" y="{height - bottom + 16}" text-anchor="middle" '
            f'font-size="10" fill="#0b0c0c">{escape(label)}</text>'
        )
    x = left
    for s, (name, _) in enumerate(series):
        parts.append(f'<rect x="{x}" y="6" width="12" height="12" fill="{PALETTE[s % len(PALETTE)]}"/>')
        parts.append(f'<text x="{x + 16}" y="16" font-size="11" fill="#0b0c0c">{escape(name)}</text>')
        x += 24 + 7 * len(name)
    parts.append("</svg>")
    return "".join(parts)
