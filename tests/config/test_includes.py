"""`include:` files add cycles, objectives, sources and matching rules; their problems name their own file."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.registry import load_config
from syncd.config.errors import ConfigError
from tests.support.configs import CONTRACT_ENV, MINIMAL, write_config

PLATFORM = """\
objectives:
  - id: PLAT-1
    title: Keep the lights on
    cycle: 2026-Q4
    key_results:
      - {id: PLAT-1.1, title: Zero sev-1 incidents}
matching:
  rules:
    - {label: reliability, key_results: [PLAT-1.1]}
"""


def _problems(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ=CONTRACT_ENV)
    return [str(problem) for problem in caught.value.problems]


class TestIncludedItems:
    """Included list items join the main config's lists, after the main file's own items."""

    def test_objectives_and_rules_of_an_included_file_are_loaded(self, tmp_path: Path) -> None:
        """A team's OKR file contributes its objectives and matching rules."""
        write_config(tmp_path, PLATFORM, "okrs/platform.yaml")
        main = write_config(tmp_path, MINIMAL + "include: [okrs/platform.yaml]\n")
        config = load_config(main, environ={})
        assert [objective.id for objective in config.objectives] == ["PLAT-1"]
        assert config.matching.rules[0].key_results == ["PLAT-1.1"]

    def test_includes_nest_relative_to_the_including_file(self, tmp_path: Path) -> None:
        """An included file may include another, found relative to itself rather than the main file."""
        write_config(tmp_path, PLATFORM, "okrs/platform.yaml")
        write_config(
            tmp_path,
            "include: [platform.yaml]\ncycles:\n  - {id: H2, start: 2026-07-01, end: 2026-12-31}\n",
            "okrs/all.yaml",
        )
        main = write_config(tmp_path, MINIMAL + "include: [okrs/all.yaml]\n")
        config = load_config(main, environ={})
        assert [cycle.id for cycle in config.cycles] == ["2026-Q4", "H2"]
        assert [objective.id for objective in config.objectives] == ["PLAT-1"]


class TestIncludeProblems:
    """Problems in or about included files point at the right file and line."""

    def test_error_inside_an_included_file_names_that_file_and_line(self, tmp_path: Path) -> None:
        """A typo in an included file is reported with the included file's path and line."""
        included = write_config(tmp_path, PLATFORM.replace("title: Zero", "titel: Zero"), "okrs/platform.yaml")
        main = write_config(tmp_path, MINIMAL + "include: [okrs/platform.yaml]\n")
        assert f'{included}:6: objectives[0].key_results[0].titel: unknown key; did you mean "title"?' in _problems(
            main
        )

    def test_cross_reference_across_files_names_both_places(self, tmp_path: Path) -> None:
        """A KR id declared twice, once in each file, is reported where the second one is, citing the first."""
        included = write_config(tmp_path, PLATFORM, "okrs/platform.yaml")
        main = write_config(
            tmp_path,
            MINIMAL + "include: [okrs/platform.yaml]\nobjectives:\n"
            "  - {id: ENG-1, title: A, cycle: 2026-Q4, key_results: [{id: PLAT-1.1, title: Dup}]}\n",
        )
        assert _problems(main) == [
            f'{included}:6: objectives[1].key_results[0].id: duplicate key result "PLAT-1.1" (first at {main}:5); '
            "make it unique"
        ]

    def test_include_cycle_is_refused(self, tmp_path: Path) -> None:
        """a.yaml -> b.yaml -> a.yaml is an error at the include that closes the loop, not an endless read."""
        write_config(tmp_path, "include: [syncd.yaml]\n", "b.yaml")
        main = write_config(tmp_path, MINIMAL + "include:\n  - b.yaml\n")
        problems = _problems(main)
        assert len(problems) == 1
        assert problems[0].startswith(f"{tmp_path / 'b.yaml'}:1: include[0]: include cycle: ")
        assert problems[0].endswith("; remove one of these includes")

    def test_missing_included_file_is_reported_at_its_include(self, tmp_path: Path) -> None:
        """An include naming no file says which file was looked for."""
        main = write_config(tmp_path, MINIMAL + "include: [okrs/nope.yaml]\n")
        assert _problems(main) == [
            f"{main}:3: include[0]: included file {tmp_path / 'okrs/nope.yaml'} not found; fix the path"
        ]

    def test_included_file_may_not_set_other_keys(self, tmp_path: Path) -> None:
        """Only list items can come from an include; `store` must stay in the main config."""
        included = write_config(
            tmp_path, "store: {url: 'sqlite:///x.db'}\nmatching: {label_prefix: 'x:'}\n", "extra.yaml"
        )
        main = write_config(tmp_path, MINIMAL + "include: [extra.yaml]\n")
        message = "an included file may only add cycles, objectives, sources and matching.rules; move this key to the main config"
        assert _problems(main) == [f"{included}:1: store: {message}", f"{included}:2: matching.label_prefix: {message}"]

    def test_include_must_be_a_list_of_paths(self, tmp_path: Path) -> None:
        """`include: {a: b}` is explained rather than crashing."""
        main = write_config(tmp_path, MINIMAL + "include: {a: b}\n")
        assert _problems(main) == [f"{main}:3: include: include must be a list of file paths"]
