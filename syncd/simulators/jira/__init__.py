"""A simulated Jira site (Cloud or Data Center): state, REST routes, admin webhooks, faults and a request log (see the kit)."""

from __future__ import annotations

from syncd.simulators.jira.simulator import JiraSimulator

__all__ = ["JiraSimulator"]
