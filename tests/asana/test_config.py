"""The `kind: asana` source config refuses a section or field value that means two states."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from adapters.asana.config import AsanaSourceConfig


def config(**overrides: Any) -> AsanaSourceConfig:
    """A minimal valid Asana source, with overrides."""
    raw: dict[str, Any] = {"name": "acme-asana", "kind": "asana", "token": "t", "workspace": "1", "projects": ["2"]}
    return AsanaSourceConfig.model_validate(raw | overrides)


class TestStates:
    """in_progress and dropped must not overlap."""

    def test_a_section_in_both_states_is_refused_by_name(self) -> None:
        """Case-insensitive, and the message names the section."""
        with pytest.raises(ValidationError, match=r"sections \['parked'\] are both in_progress and dropped"):
            config(in_progress={"sections": ["Doing", "Parked"]}, dropped={"sections": ["parked"]})

    def test_a_field_value_in_both_states_is_refused(self) -> None:
        """Same field, same value: refused; the message names field and value."""
        with pytest.raises(ValidationError, match=r"Status values \['on hold'\] are both"):
            config(
                in_progress={"custom_field": {"field": "Status", "values": ["On hold", "Working"]}},
                dropped={"custom_field": {"field": "status", "values": ["On Hold"]}},
            )

    def test_distinct_states_are_accepted(self) -> None:
        """The usual setup loads."""
        loaded = config(in_progress={"sections": ["Doing"]}, dropped={"sections": ["Won't do"]})
        assert loaded.in_progress.sections == ["Doing"]

    def test_a_source_needs_projects_or_a_team(self) -> None:
        """Neither: refused, naming the source."""
        with pytest.raises(ValidationError, match="asana source 'acme-asana' needs projects or team"):
            config(projects=[])
