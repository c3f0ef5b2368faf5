"""Hostile configs: each is refused with a one-line config error, within a second, and never echoes a secret."""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path

import pytest

from syncd.config.errors import ConfigError
from syncd.config.loader import load_config
from tests.support.configs import MINIMAL, write_config

#: Distinctive secret values: any of them in an error message is a leak.
ASANA_TOKEN = "asana-MARKER-7f3c9e1d2b"
ENV = {"ASANA_TOKEN": ASANA_TOKEN}
DEADLINE_SECONDS = 1.0


def refused(path: Path, environ: Mapping[str, str] = ENV) -> list[str]:
    """The problems `load_config` reports for `path`, after checking it answered within the deadline."""
    started = time.perf_counter()
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ=environ)
    assert time.perf_counter() - started < DEADLINE_SECONDS
    problems = [str(problem) for problem in caught.value.problems]
    assert all("\n" not in problem for problem in problems), problems
    for value in environ.values():
        assert value not in str(caught.value)
    return problems


def asana_source(**extra: str) -> str:
    """An Asana source whose token is `${ASANA_TOKEN}`, with extra `key: value` lines."""
    lines = "".join(f"    {key}: {value}\n" for key, value in extra.items())
    return (
        "sources:\n  - name: acme-asana\n    kind: asana\n    token: ${ASANA_TOKEN}\n"
        "    workspace: '1'\n    projects: ['2']\n" + lines
    )


class TestEnvironmentValuesAreNeverEchoed:
    """A value resolved from `${ENV}` appears in no validation error, whatever the key."""

    def test_a_secret_given_as_a_duration_is_not_shown(self, tmp_path: Path) -> None:
        """`poll_interval: ${ASANA_TOKEN}` is refused at its line without printing the token."""
        path = write_config(tmp_path, MINIMAL + asana_source(poll_interval="${ASANA_TOKEN}"))
        [problem] = refused(path)
        assert problem.startswith(f"{path}:9: sources[0].poll_interval: ")
        assert "${ASANA_TOKEN}" in problem
