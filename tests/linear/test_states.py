"""Workflow state types as task states (issue 20): triage, backlog, unstarted open; started in progress;
completed done; canceled and duplicate dropped; an unknown type reads as open."""

from __future__ import annotations

import pytest

from adapters.linear.normalize import task_state
from syncd.core.model import TaskState

TABLE = [
    ("triage", TaskState.OPEN),
    ("backlog", TaskState.OPEN),
    ("unstarted", TaskState.OPEN),
    ("started", TaskState.IN_PROGRESS),
    ("completed", TaskState.DONE),
    ("canceled", TaskState.DROPPED),
    ("duplicate", TaskState.DROPPED),
    ("something-new", TaskState.OPEN),
]


@pytest.mark.parametrize(("state_type", "expected"), TABLE, ids=[row[0] for row in TABLE])
def test_each_state_type(state_type: str, expected: TaskState) -> None:
    """The issue's table."""
    assert task_state(state_type) is expected
