"""GitHub adapter tests share the simulator fixtures of `tests.support.github_sim`."""

from __future__ import annotations

from tests.support.github_sim import github_adapter, github_config, github_inbox, github_sim

__all__ = ["github_adapter", "github_config", "github_inbox", "github_sim"]
