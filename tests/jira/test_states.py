"""Jira status categories and resolutions map to syncd's four task states, as issue 18 states."""

from __future__ import annotations

import pytest

from adapters.jira.normalize import task_state
from syncd.core.model import TaskState
from tests.jira.support import jira_config

CONFIG = jira_config()
CASES = [
    ("new", None, TaskState.OPEN),
    ("indeterminate", None, TaskState.IN_PROGRESS),
    ("done", "Done", TaskState.DONE),
    ("done", None, TaskState.DONE),
    ("done", "Won't Do", TaskState.DROPPED),
    ("done", "duplicate", TaskState.DROPPED),
    ("done", "Cannot Reproduce", TaskState.DROPPED),
    ("new", "Won't Do", TaskState.OPEN),
    (None, None, TaskState.OPEN),
]


class TestStates:
    """new -> open, indeterminate -> in progress, done -> done unless its resolution is a dropped one."""

    @pytest.mark.parametrize(("category", "resolution", "state"), CASES)
    def test_the_mapping(self, category: str | None, resolution: str | None, state: TaskState) -> None:
        """Resolutions compare case-insensitively; a done issue without resolution is done."""
        assert task_state(CONFIG, category, resolution) is state

    def test_the_dropped_resolutions_are_configurable(self) -> None:
        """With `dropped_resolutions: [Obsolete]`, Won't Do is done and Obsolete is dropped."""
        config = jira_config(dropped_resolutions=["Obsolete"])
        assert task_state(config, "done", "Won't Do") is TaskState.DONE
        assert task_state(config, "done", "obsolete") is TaskState.DROPPED
