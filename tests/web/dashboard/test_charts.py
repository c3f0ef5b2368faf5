"""The burn-up chart's geometry: time maps onto the cycle, progress onto the height, one marker per check-in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from syncd.web.dashboard.charts import (
    PAD_BOTTOM,
    PAD_LEFT,
    PAD_RIGHT,
    PAD_TOP,
    Frame,
    Sample,
    bar_width,
    burn_up,
    step_path,
)

START = datetime(2026, 1, 1, tzinfo=UTC)
END = datetime(2026, 1, 11, tzinfo=UTC)


class TestFrame:
    """The frame maps the cycle onto x and 0-100% onto y, clamped to the plot."""

    def test_the_cycle_spans_the_plot_from_left_to_right(self) -> None:
        frame = Frame(START, END, 640, 240)
        assert frame.x(START) == PAD_LEFT
        assert frame.x(END) == 640 - PAD_RIGHT
        assert frame.x(START + (END - START) / 2) == pytest.approx((PAD_LEFT + 640 - PAD_RIGHT) / 2, abs=0.1)

    def test_times_outside_the_cycle_are_clamped(self) -> None:
        frame = Frame(START, END, 640, 240)
        assert frame.x(START - timedelta(days=5)) == frame.left
        assert frame.x(END + timedelta(days=5)) == frame.right

    def test_zero_is_the_bottom_and_one_the_top(self) -> None:
        frame = Frame(START, END, 640, 240)
        assert (frame.y(0.0), frame.y(1.0)) == (240 - PAD_BOTTOM, PAD_TOP)
        assert frame.y(1.7) == PAD_TOP
        assert frame.y(-1) == 240 - PAD_BOTTOM


class TestBurnUp:
    """A burn-up draws a step line of progress, the expected diagonal and the scope on its own axis."""

    def samples(self) -> list[Sample]:
        return [
            Sample(START + timedelta(days=1), 0.25, 4, "a"),
            Sample(START + timedelta(days=3), 0.2, 5, "b"),
            Sample(START + timedelta(days=6), 0.5, 4, "c"),
        ]

    def test_one_marker_per_check_in_at_its_time_and_value(self) -> None:
        frame = Frame(START, END)
        chart = burn_up(self.samples(), frame, START + timedelta(days=8))
        assert [(m.x, m.y, m.label) for m in chart.markers] == [
            (frame.x(s.at), frame.y(s.progress), s.label) for s in self.samples()
        ]

    def test_the_expected_line_runs_from_zero_at_the_start_to_full_at_the_end(self) -> None:
        frame = Frame(START, END)
        chart = burn_up([], frame, START)
        assert chart.expected_path == f"M{frame.left},{frame.bottom} L{frame.right},{frame.top}"
        assert (chart.progress_path, chart.scope_path, chart.markers) == ("", "", ())

    def test_the_scope_line_is_scaled_to_its_largest_total(self) -> None:
        frame = Frame(START, END)
        chart = burn_up(self.samples(), frame, START + timedelta(days=8))
        assert chart.scope_max == 5
        assert f"V{frame.y(1.0)}" in chart.scope_path  # the largest total reaches the top
        assert chart.scope_path.startswith(f"M{frame.x(START + timedelta(days=1))},{frame.y(4 / 5)}")

    def test_lines_stop_at_now(self) -> None:
        frame = Frame(START, END)
        now = START + timedelta(days=8)
        chart = burn_up(self.samples(), frame, now)
        assert chart.progress_path.endswith(f"H{frame.x(now)}")
        assert chart.now_x == frame.x(now)

    def test_the_progress_line_holds_each_value_until_the_next_check_in(self) -> None:
        frame = Frame(START, END)
        points = [(START, 0.0), (START + timedelta(days=5), 0.5)]
        path = step_path(points, frame, END)
        assert path == (f"M{frame.x(START)},{frame.y(0)} H{frame.x(points[1][0])} V{frame.y(0.5)} H{frame.x(END)}")


@pytest.mark.parametrize(("fraction", "width"), [(0.0, 0.0), (0.625, 62.5), (1.0, 100.0), (1.5, 100.0), (-0.2, 0.0)])
def test_a_bar_is_the_fraction_of_a_hundred_wide_box_clamped(fraction: float, width: float) -> None:
    """Progress bars are SVG rectangles in a 0-100 box (no inline style: the CSP forbids it)."""
    assert bar_width(fraction) == width
