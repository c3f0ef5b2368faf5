"""Security tests: the shared Asana simulator fixtures, for the handshake tests against a real install."""

from __future__ import annotations

from tests.support.asana_sim import asana_sim, asana_world

#: The shared fixtures, re-exported so pytest finds them by name in this folder.
__all__ = ["asana_sim", "asana_world"]
