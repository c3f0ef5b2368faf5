"""A tracker gets the contract suite by registering: the suite runs over `registry().descriptors`, and
every registered tracker must name a driver of the `SimulatedTracker` protocol (or fail here)."""

from __future__ import annotations

import inspect

import pytest

from adapters.descriptor import TrackerDescriptor
from syncd.simulators.contract import SimulatedTracker
from tests.contract.support import require

#: What the suite calls on a driver: the protocol's methods and attributes.
PROTOCOL = sorted(
    name for name in {*vars(SimulatedTracker), *SimulatedTracker.__annotations__} if not name.startswith("_")
)


class TestEveryTrackerIsInTheSuite:
    """Nothing registered escapes the suite: a tracker without a driver fails instead of being left out."""

    def test_a_registered_tracker_names_a_driver_of_the_protocol(self, tracker: TrackerDescriptor) -> None:
        """Its `contract_simulator` builds a driver of its own kind with every method of the protocol."""
        driver = tracker.load_contract_simulator()()
        assert driver.kind == tracker.kind
        missing = [name for name in PROTOCOL if not hasattr(driver, name)]
        assert missing == [], f"the {tracker.kind} driver lacks {missing}"
        for name in PROTOCOL:
            member = getattr(SimulatedTracker, name, None)
            if inspect.isfunction(member):
                assert callable(getattr(driver, name)), name


class TestUnsupportedFeatures:
    """A feature a driver declares unsupported skips the test, saying which tracker and why."""

    def test_the_skip_names_the_tracker_and_its_reason(self) -> None:
        """`require` turns the driver's reason into the skip message."""

        class NoFields:
            kind = "example"

            def unsupported(self, feature: str) -> str | None:
                return "it has no custom fields" if feature == "field_write" else None

        with pytest.raises(pytest.skip.Exception, match="example does not support field_write: it has no custom"):
            require(NoFields(), "field_write")  # type: ignore[arg-type]
        require(NoFields(), "done")  # type: ignore[arg-type]
