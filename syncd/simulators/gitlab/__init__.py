"""A simulated GitLab instance: state, REST routes, project hooks, faults and a request log (see the kit)."""

from __future__ import annotations

from syncd.simulators.gitlab.simulator import GitLabSimulator

__all__ = ["GitLabSimulator"]
