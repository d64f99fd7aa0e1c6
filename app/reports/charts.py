"""Geometry for the server-rendered SVG charts (the templates draw; this only measures).

Inputs are already-aggregated figures (a dozen months, five buckets), never table rows.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

WIDTH, HEIGHT = 640, 220
LEFT, BOTTOM, TOP = 56, 28, 10  # room for the value axis and the labels


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    css: str
    title: str


@dataclass(frozen=True)
class Label:
    x: float
    y: float
    text: str


@dataclass
class Chart:
    width: int
    height: int
    bars: list[Bar] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)
    ticks: list[Label] = field(default_factory=list)
    baseline: float = 0
    empty: bool = True


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude  # pragma: no cover


def _tick_text(value: float) -> str:
    if value >= 1_000_000:
        return f"{value / 1_000_000:g}M"
    if value >= 1_000:
        return f"{value / 1_000:g}k"
    return f"{value:g}"


def columns(labels: Sequence[str], stacks: Sequence[Sequence[tuple[str, float, str]]],
            *, width: int = WIDTH, height: int = HEIGHT) -> Chart:
    """Vertical (stacked) columns: per label, a list of (css class, value, title)."""
    plot_h = height - BOTTOM - TOP
    totals = [sum(float(v) for _, v, _ in stack) for stack in stacks]
    top = _nice_max(max(totals, default=0))
    chart = Chart(width, height, baseline=height - BOTTOM, empty=not any(totals))
    slot = (width - LEFT) / max(1, len(labels))
    bar_w = max(2.0, slot * 0.7)
    every = max(1, round(len(labels) / 12))  # at most ~12 axis labels
    for i, (label, stack) in enumerate(zip(labels, stacks)):
        x = LEFT + i * slot + (slot - bar_w) / 2
        y = height - BOTTOM
        for css, value, title in stack:
            h = float(value) / top * plot_h
            if h <= 0:
                continue
            y -= h
            chart.bars.append(Bar(round(x, 1), round(y, 1), round(bar_w, 1), round(h, 1),
                                  css, title))
        if i % every == 0:
            chart.labels.append(Label(round(x + bar_w / 2, 1), height - BOTTOM + 16, label))
    for fraction in (0, 0.5, 1):
        chart.ticks.append(Label(LEFT - 6, round(height - BOTTOM - fraction * plot_h + 4, 1),
                                 _tick_text(top * fraction)))
    return chart


def bars(items: Sequence[tuple[str, float | Decimal, str]], *, width: int = WIDTH,
         row: int = 26) -> Chart:
    """Horizontal bars, one per (label, value, css class); labels on the left."""
    label_w = 150
    height = TOP + row * max(1, len(items)) + 4
    top = _nice_max(max((float(v) for _, v, _ in items), default=0))
    chart = Chart(width, height, empty=not any(float(v) for _, v, _ in items))
    for i, (label, value, css) in enumerate(items):
        y = TOP + i * row
        w = float(value) / top * (width - label_w - 70)
        chart.labels.append(Label(label_w - 8, y + row * 0.62, label))
        chart.bars.append(Bar(label_w, y + 3, round(max(w, 0), 1), row - 8, css,
                              f"{label}: {value}"))
    return chart
