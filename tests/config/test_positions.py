"""YAML with positions: every key path knows its file and line, and odd YAML is explained, not crashed on."""

from __future__ import annotations

import pytest

from syncd.config.errors import ConfigError
from syncd.config.positions import Position, format_path, parse_yaml, value_at

TEXT = """\
cycles:
  - id: 2026-Q4
    start: 2026-10-01
objectives:
  - {id: ENG-1, key_results: [{id: ENG-1.1}]}
"""


class TestPositions:
    """Lines of keys and list items, and the fallback to the nearest written ancestor."""

    def test_each_key_path_has_its_line(self) -> None:
        """Block and flow styles both record the line where the key is written."""
        document = parse_yaml(TEXT, "syncd.yaml")
        assert document.position_of(("cycles", 0, "start")) == Position("syncd.yaml", 3)
        assert document.position_of(("objectives", 0, "key_results", 0, "id")) == Position("syncd.yaml", 5)

    def test_missing_key_points_at_its_parent(self) -> None:
        """A required key that is absent is reported where its mapping starts."""
        document = parse_yaml(TEXT, "syncd.yaml")
        assert document.position_of(("cycles", 0, "end")) == Position("syncd.yaml", 2)

    def test_keys_are_kept_as_written(self) -> None:
        """`on`, `1200` and `yes` stay the text the admin wrote (never booleans or numbers)."""
        document = parse_yaml("on: 1\n1200: [a]\nyes: no\n", "f.yaml")
        assert document.data == {"on": 1, "1200": ["a"], "yes": False}

    def test_recursive_alias_is_a_problem(self) -> None:
        """An anchor that contains itself is refused instead of recursing forever."""
        with pytest.raises(ConfigError) as caught:
            parse_yaml("cycles: &loop [*loop]\n", "f.yaml")
        assert str(caught.value) == "f.yaml:1: cycles[0]: an alias refers to itself; YAML anchors must not be recursive"

    def test_key_that_is_a_list_is_a_problem(self) -> None:
        """A complex YAML key is explained rather than raising TypeError."""
        with pytest.raises(ConfigError) as caught:
            parse_yaml("? [a, b]\n: c\n", "f.yaml")
        assert str(caught.value) == "f.yaml:1: a key must be a plain word, not a list or a mapping"

    def test_two_documents_are_a_syntax_problem(self) -> None:
        """A second `---` document is refused with its line."""
        with pytest.raises(ConfigError) as caught:
            parse_yaml("a: 1\n---\nb: 2\n", "f.yaml")
        assert str(caught.value) == (
            "f.yaml:2: YAML syntax error: a second YAML document (---) starts here; a config is one document, "
            "so remove the '---'"
        )


class TestPaths:
    """Key paths print the way admins read them."""

    @pytest.mark.parametrize(
        ("path", "text"),
        [
            ((), ""),
            (("cycles",), "cycles"),
            (("objectives", 0, "key_results", 1, "target"), "objectives[0].key_results[1].target"),
            (("sources", 2, "match", "project_krs", "1200", 0), "sources[2].match.project_krs.1200[0]"),
        ],
    )
    def test_format_path(self, path: tuple[str | int, ...], text: str) -> None:
        """Indexes in brackets, keys joined by dots."""
        assert format_path(path) == text

    def test_value_at_follows_keys_and_indexes(self) -> None:
        """The value at a path, or None where the path leaves the data."""
        data = {"a": [{"b": 1}]}
        assert (value_at(data, ("a", 0, "b")), value_at(data, ("a", 3, "b")), value_at(data, ("x",))) == (1, None, None)
