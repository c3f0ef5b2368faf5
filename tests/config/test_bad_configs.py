"""Each bad config is rejected with one exact problem line: `FILE:LINE: KEY: MESSAGE`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from adapters.registry import load_config
from syncd.config.errors import ConfigError
from tests.support.configs import CONTRACT_ENV, KNOWN_KINDS, write_config

OBJECTIVE = """\
objectives:
  - id: ENG-1
    title: Delight new customers
    cycle: 2026-Q4
    key_results:
"""
CYCLE = """\
cycles:
  - {id: 2026-Q4, start: 2026-10-01, end: 2026-12-31}
"""


@dataclass(frozen=True)
class BadConfig:
    """A config text and the one problem it must produce ({file} stands for the file's path)."""

    name: str
    text: str
    expected: str


CASES = [
    BadConfig(
        "yaml syntax error",
        CYCLE + "objectives:\n  - id: ENG-1\n    title: [unclosed\n",
        "{file}:5: YAML syntax error: this [list] is not closed with ']', or its items are not separated by commas",
    ),
    BadConfig(
        "unknown key with suggestion",
        CYCLE + OBJECTIVE + "      - {id: ENG-1.1, title: Ship, mesure: tasks}\n",
        '{file}:8: objectives[0].key_results[0].mesure: unknown key; did you mean "measure"?',
    ),
    BadConfig(
        "unknown top-level key with suggestion",
        CYCLE + "objective: []\n",
        '{file}:3: objective: unknown key; did you mean "objectives"?',
    ),
    BadConfig(
        "wrong type",
        CYCLE + "server:\n  port: eighty\n",
        "{file}:4: server.port: Input should be a valid integer, unable to parse string as an integer (got 'eighty')",
    ),
    BadConfig(
        "number where text is expected",
        CYCLE + "sources:\n  - {name: a, kind: asana, token: '${ASANA_TOKEN}', workspace: 12, projects: ['1']}\n",
        "{file}:4: sources[0].workspace: expected text, got a number; put it in quotes (gids and ids are strings)",
    ),
    BadConfig(
        "missing required key",
        CYCLE + OBJECTIVE + "      - {id: ENG-1.1, measure: tasks}\n",
        "{file}:8: objectives[0].key_results[0].title: required key is missing",
    ),
    BadConfig(
        "no cycles at all",
        "objectives: []\n",
        "{file}:1: cycles: required key is missing",
    ),
    BadConfig(
        "duplicate key result id across objectives",
        CYCLE
        + OBJECTIVE
        + "      - {id: ENG-1.1, title: A}\n"
        + "  - id: ENG-2\n    title: Other\n    cycle: 2026-Q4\n    key_results:\n"
        + "      - {id: ENG-1.1, title: B}\n",
        '{file}:13: objectives[1].key_results[0].id: duplicate key result "ENG-1.1" (first at {file}:8); make it unique',
    ),
    BadConfig(
        "duplicate objective id",
        CYCLE + OBJECTIVE + "      - {id: ENG-1.1, title: A}\n  - {id: ENG-1, title: Again, cycle: 2026-Q4}\n",
        '{file}:9: objectives[1].id: duplicate objective "ENG-1" (first at {file}:4); make it unique',
    ),
    BadConfig(
        "duplicate cycle id",
        CYCLE + "  - {id: 2026-Q4, start: 2026-10-01, end: 2026-12-30}\n",
        '{file}:3: cycles[1].id: duplicate cycle "2026-Q4" (first at {file}:2); make it unique',
    ),
    BadConfig(
        "key results of an objective in an unknown cycle",
        CYCLE + OBJECTIVE.replace("cycle: 2026-Q4", "cycle: 2026-Q3") + "      - {id: ENG-1.1, title: A}\n",
        '{file}:6: objectives[0].cycle: unknown cycle "2026-Q3"; did you mean "2026-Q4"? (known: 2026-Q4)',
    ),
    BadConfig(
        "cycle ends before it starts",
        "cycles:\n  - id: 2026-Q4\n    start: 2026-10-01\n    end: 2026-09-30\n",
        "{file}:4: cycles[0].end: the cycle ends (2026-09-30) before it starts (2026-10-01); swap or fix the dates",
    ),
    BadConfig(
        "metric key result without target",
        CYCLE + OBJECTIVE + "      - {id: ENG-1.2, title: Cut, measure: metric, start: 7}\n",
        "{file}:8: objectives[0].key_results[0].target: a metric key result needs a target (the value that means done)",
    ),
    BadConfig(
        "target equal to start",
        CYCLE + OBJECTIVE + "      - id: ENG-1.2\n        title: Cut\n        measure: metric\n"
        "        start: 7\n        target: 7\n",
        "{file}:12: objectives[0].key_results[0].target: target equals start (7), so progress is undefined; "
        "change one of them",
    ),
    BadConfig(
        "count key result without target",
        CYCLE + OBJECTIVE + "      - {id: ENG-1.3, title: Close bugs, measure: count}\n",
        "{file}:8: objectives[0].key_results[0].target: a count key result needs a positive target "
        "(how many tasks mean done)",
    ),
    BadConfig(
        "unknown source kind",
        CYCLE + "sources:\n  - name: acme-bugzilla\n    kind: bugzilla\n    base_url: https://bugzilla.example.com\n",
        '{file}:5: sources[0].kind: unknown source kind "bugzilla"; known kinds: ' + KNOWN_KINDS,
    ),
    BadConfig(
        "misspelt source kind",
        CYCLE + "sources:\n  - name: acme-github\n    kind: githb\n",
        '{file}:5: sources[0].kind: unknown source kind "githb"; known kinds: '
        + KNOWN_KINDS
        + '; did you mean "github"?',
    ),
    BadConfig(
        "source without kind",
        CYCLE + "sources:\n  - name: acme-github\n",
        "{file}:4: sources[0].kind: required key is missing; every source needs a kind, one of: " + KNOWN_KINDS,
    ),
    BadConfig(
        "missing environment variable",
        CYCLE + "sources:\n  - name: gh\n    kind: github\n    token: ${GH_MISSING_TOKEN}\n    repos: [a/b]\n",
        "{file}:6: sources[0].token: environment variable GH_MISSING_TOKEN is not set; "
        "export GH_MISSING_TOKEN before starting syncd",
    ),
    BadConfig(
        "repository not owner/name, at its own line",
        CYCLE
        + "sources:\n  - name: gh\n    kind: github\n    token: ${GITHUB_TOKEN}\n    repos:\n"
        + "      - acme/web\n      - acme\n",
        "{file}:9: sources[0].repos[1]: repo 'acme' is not owner/name; write the repository as owner/name "
        "(e.g. acme/web)",
    ),
    BadConfig(
        "summary repository not owner/name",
        CYCLE
        + "sources:\n  - name: gh\n    kind: github\n    token: ${GITHUB_TOKEN}\n    repos: [a/b]\n"
        + "    summary_repo: a/b/c\n",
        "{file}:8: sources[0].summary_repo: repo 'a/b/c' is not owner/name; write the repository as owner/name "
        "(e.g. acme/web)",
    ),
    BadConfig(
        "two sources with one name",
        CYCLE
        + "sources:\n"
        + "  - {name: acme, kind: github, token: '${GITHUB_TOKEN}', repos: [a/b]}\n"
        + "  - {name: acme, kind: asana, token: '${ASANA_TOKEN}', workspace: '1', projects: ['2']}\n",
        '{file}:5: sources[1].name: duplicate source name "acme" (first at {file}:4); make it unique',
    ),
    BadConfig(
        "literal secret",
        CYCLE + "sources:\n  - name: acme-github\n    kind: github\n    token: ghp_abc123\n    repos: [a/b]\n",
        "{file}:6: sources[0].token: a secret must not be written in the config file; put it in an environment "
        "variable and write ${{ACME_GITHUB_TOKEN}} here",
    ),
    BadConfig(
        "unknown parent objective",
        CYCLE + "objectives:\n  - {id: ENG-1, title: A, cycle: 2026-Q4, parent: ENG-9}\n",
        '{file}:4: objectives[0].parent: unknown parent objective "ENG-9"; did you mean "ENG-1"? (known: ENG-1)',
    ),
    BadConfig(
        "objectives aligned in a loop",
        CYCLE + "objectives:\n  - {id: A, title: A, cycle: 2026-Q4, parent: B}\n"
        "  - {id: B, title: B, cycle: 2026-Q4, parent: A}\n",
        "{file}:4: objectives[0].parent: objectives align in a loop (A -> B -> A); break the loop",
    ),
    BadConfig(
        "matching rule naming an unknown key result",
        CYCLE + OBJECTIVE + "      - {id: ENG-1.1, title: A}\nmatching:\n  rules:\n"
        "    - {label: onboarding, key_results: [ENG-1.1, ENG-1.7]}\n",
        '{file}:11: matching.rules[0].key_results[1]: unknown key result "ENG-1.7"; did you mean "ENG-1.1"? '
        "(known: ENG-1.1)",
    ),
    BadConfig(
        "invalid regex",
        CYCLE + OBJECTIVE + "      - {id: ENG-1.1, title: A}\nmatching:\n  rules:\n"
        "    - regex: 'bug/(onboarding'\n      key_results: [ENG-1.1]\n",
        "{file}:11: matching.rules[0].regex: invalid regular expression: missing ), unterminated subpattern "
        "at position 4",
    ),
    BadConfig(
        "repeated yaml key",
        "cycles:\n  - id: 2026-Q4\n    start: 2026-10-01\n    start: 2026-10-02\n    end: 2026-12-31\n",
        "{file}:4: cycles[0].start: key repeated (first written on line 3); keep one",
    ),
    BadConfig(
        "duration that is not one",
        CYCLE + "push:\n  coalesce_window: soon\n",
        "{file}:4: push.coalesce_window: 'soon' is not a duration: write 30s, 5m, 6h, 1d, 250ms, PT30S "
        "(ISO 8601 weeks, days, hours, minutes, seconds) or a number of seconds",
    ),
    BadConfig(
        "impossible date",
        "cycles:\n  - {id: 2026-Q4, start: 2026-13-01, end: 2026-12-31}\n",
        "{file}:2: cycles[0].start: Input should be a valid date or datetime, month value is outside expected "
        "range of 1-12 (got '2026-13-01')",
    ),
    BadConfig(
        "id with spaces",
        "cycles:\n  - {id: Q4 2026, start: 2026-10-01, end: 2026-12-31}\n",
        "{file}:2: cycles[0].id: not a valid name; use letters, digits, '.', '_' and '-', starting with a letter "
        "or digit (e.g. ENG-1.2) (got 'Q4 2026')",
    ),
    BadConfig(
        "a mapping where a list belongs",
        "cycles:\n  id: 2026-Q4\n",
        "{file}:1: cycles: expected a list: [a, b] or one `- item` per line",
    ),
    BadConfig(
        "yaml boolean word as a key",
        CYCLE + "on: push\n",
        "{file}:3: on: unknown key; expected one of: store, server, cycles, objectives, sources, okr_stores, matching, "
        "progress, push, include_outside",
    ),
    BadConfig(
        "empty file",
        "# nothing yet\n",
        "{file}: the config is empty; it needs at least `cycles:` (see config/example.yaml)",
    ),
    BadConfig(
        "a list instead of a mapping",
        "- cycles\n",
        "{file}:1: the config is not a mapping of keys; it needs at least `cycles:` (see config/example.yaml)",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_bad_config_is_rejected_with_file_line_key_and_message(tmp_path: Path, case: BadConfig) -> None:
    """The config is refused and the problem names the file, the line and the key, and says what to do."""
    path = write_config(tmp_path, case.text)
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ=CONTRACT_ENV)
    assert [str(problem) for problem in caught.value.problems] == [case.expected.format(file=path)]


def test_there_are_at_least_twelve_distinct_bad_configs() -> None:
    """The issue asks for twelve distinct bad configs; each case is a different mistake."""
    assert len({case.expected for case in CASES}) >= 12


def test_every_problem_of_a_config_is_reported_at_once(tmp_path: Path) -> None:
    """An admin fixing a config sees all problems in one run, in line order, not one per attempt."""
    text = (
        CYCLE
        + OBJECTIVE
        + "      - {id: ENG-1.1, title: A, mesure: tasks}\n"
        + "      - {id: ENG-1.1, title: B}\n"
        + "sources:\n  - {name: x, kind: bugzilla}\n"
    )
    path = write_config(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    lines = [(problem.line, problem.key) for problem in caught.value.problems]
    assert lines == [
        (8, "objectives[0].key_results[0].mesure"),
        (9, "objectives[0].key_results[1].id"),
        (11, "sources[0].kind"),
    ]
    assert str(caught.value).splitlines()[0].startswith(f"{path}:8: objectives[0].key_results[0].mesure: ")
