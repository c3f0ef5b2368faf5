"""A stateful GitHub simulator (REST, a little GraphQL, signed webhooks) on 127.0.0.1.

Used by the test suite and by `syncd sandbox`; it imports nothing of `adapters` (it simulates GitHub,
it does not use syncd).
"""

from __future__ import annotations

from syncd.simulators.github.simulator import GitHubSimulator
from syncd.simulators.github.traffic import LoggedRequest
from syncd.simulators.github.webhooks import Delivery, sign
from syncd.simulators.kit.faults import FaultRule

__all__ = ["Delivery", "FaultRule", "GitHubSimulator", "LoggedRequest", "sign"]
