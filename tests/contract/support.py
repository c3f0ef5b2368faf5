"""Small helpers the contract tests share: skipping what a tracker declares it cannot express."""

from __future__ import annotations

import pytest

from syncd.simulators.contract import Feature, SimulatedTracker


def require(tracker: SimulatedTracker, feature: Feature) -> None:
    """Skip the test, with the tracker's own reason, when its driver declares `feature` unsupported."""
    reason = tracker.unsupported(feature)
    if reason is not None:
        pytest.skip(f"{tracker.kind} does not support {feature}: {reason}")
