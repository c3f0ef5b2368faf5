"""A stateful Asana simulator on 127.0.0.1 for tests and `syncd sandbox` (see `simulator.AsanaSimulator`)."""

from __future__ import annotations

from syncd.simulators.asana.simulator import AsanaSimulator
from syncd.simulators.asana.traffic import LoggedRequest
from syncd.simulators.asana.webhooks import Delivery

__all__ = ["AsanaSimulator", "Delivery", "LoggedRequest"]
