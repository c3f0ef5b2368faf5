"""Chart geometry for the dashboard's SVG (pure): a burn-up of progress over the cycle, the expected line, the scope.

Time runs left to right over the cycle (start 00:00 UTC to the day after its end); progress runs bottom (0%) to top
(100%). The scope line (linked task total) has its own axis, scaled to its largest value, so a growing denominator
shows as a rising line. Every function returns numbers and strings the templates put in `<svg>` as they are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise

#: The chart's drawing box (SVG user units); the templates scale it to the page width.
WIDTH = 640
HEIGHT = 240
#: Room left for axis labels around the plot.
PAD_LEFT = 44
PAD_RIGHT = 44
PAD_TOP = 12
PAD_BOTTOM = 28


@dataclass(frozen=True)
class Sample:
    """One check-in as the chart needs it: when, progress 0-1, and the scope (linked task total) if any."""

    at: datetime
    progress: float
    scope: float | None = None
    label: str = ""


@dataclass(frozen=True)
class Marker:
    """One plotted check-in: its position and the text of its tooltip."""

    x: float
    y: float
    label: str


@dataclass(frozen=True)
class Frame:
    """The plot area inside the drawing box, and the time range it spans."""

    start: datetime
    end: datetime
    width: float = WIDTH
    height: float = HEIGHT

    @property
    def left(self) -> float:
        """The x of the cycle's start."""
        return PAD_LEFT if self.width >= 200 else 2.0

    @property
    def right(self) -> float:
        """The x of the cycle's end."""
        return self.width - (PAD_RIGHT if self.width >= 200 else 2.0)

    @property
    def top(self) -> float:
        """The y of 100%."""
        return PAD_TOP if self.height >= 100 else 2.0

    @property
    def bottom(self) -> float:
        """The y of 0%."""
        return self.height - (PAD_BOTTOM if self.height >= 100 else 2.0)

    def x(self, at: datetime) -> float:
        """The x of a time, clamped to the cycle."""
        span = (self.end - self.start).total_seconds()
        fraction = (at - self.start).total_seconds() / span if span > 0 else 0.0
        return round(self.left + clamp(fraction) * (self.right - self.left), 1)

    def y(self, fraction: float) -> float:
        """The y of a fraction of the axis (0 bottom, 1 top), clamped."""
        return round(self.bottom - clamp(fraction) * (self.bottom - self.top), 1)


@dataclass(frozen=True)
class BurnUp:
    """A burn-up chart: progress as a step line with one marker per check-in, the expected line, the scope line."""

    frame: Frame
    progress_path: str
    markers: tuple[Marker, ...]
    expected_path: str
    scope_path: str
    scope_max: float
    now_x: float


def clamp(value: float, low: float = 0.0, high: float = 1.0) -> float:
    """`value` within [low, high]."""
    return min(high, max(low, value))


def burn_up(samples: Sequence[Sample], frame: Frame, now: datetime) -> BurnUp:
    """The chart of `samples` (oldest first) in `frame`; lines stop at `now` (or the cycle's end)."""
    until = min(max(now, frame.start), frame.end)
    progress = step_path([(s.at, s.progress) for s in samples], frame, until)
    markers = tuple(Marker(frame.x(s.at), frame.y(s.progress), s.label) for s in samples)
    expected = f"M{frame.left},{frame.bottom} L{frame.right},{frame.top}"
    scopes = [s.scope for s in samples if s.scope is not None]
    scope_max = max(scopes, default=0.0)
    scope = ""
    if scope_max > 0:
        points = [(s.at, s.scope / scope_max) for s in samples if s.scope is not None]
        scope = step_path(points, frame, until)
    return BurnUp(frame, progress, markers, expected, scope, scope_max, frame.x(until))


def step_path(points: Sequence[tuple[datetime, float]], frame: Frame, until: datetime) -> str:
    """An SVG path holding each value until the next point, then to `until`; empty without points."""
    if not points:
        return ""
    parts = [f"M{frame.x(points[0][0])},{frame.y(points[0][1])}"]
    for (_, before), (at, value) in pairwise(points):
        x = frame.x(at)
        parts.append(f"H{x} V{frame.y(value)}" if frame.y(before) != frame.y(value) else f"H{x}")
    parts.append(f"H{max(frame.x(until), frame.x(points[-1][0]))}")
    return " ".join(parts)


def bar_width(fraction: float) -> float:
    """A progress bar's (or marker's) x in a 0-100 wide SVG: a presentation attribute, not a style (CSP)."""
    return round(clamp(fraction) * 100, 1)
