"""A simulated Linear workspace: GraphQL (graphql-core over Linear's names), webhooks, faults, a request log."""

from __future__ import annotations

from syncd.simulators.linear.simulator import LinearSimulator

__all__ = ["LinearSimulator"]
