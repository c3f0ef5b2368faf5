"""YAML syntax errors in plain words: what is wrong, at which line, and what to do; never PyYAML's parser terms."""

from __future__ import annotations

import pytest

from syncd.config.errors import ConfigError
from syncd.config.positions import parse_yaml

#: Words of PyYAML's own messages that mean nothing to an admin.
JARGON = ("<block end>", "<block mapping start>", "<stream end>", "scalar", "token", "while parsing", "while scanning")

INDENT = "YAML syntax error: this line is not indented like the lines before it; align it with the keys or `- ` items it belongs with"

CASES = [
    ("key indented too little", "cycles:\n  - id: a\n    start: 1\n   end: 2\n", 4, INDENT),
    ("mapping key dedented", "store:\n  url: x\n pool_size: 3\n", 3, INDENT),
    ("list item after a key", "a:\n  - 1\n  b: 2\n", 3, INDENT),
    (
        "key indented under a value",
        "store:\n  url: x\n    pool_size: 3\n",
        3,
        "YAML syntax error: unexpected ':' here; a key is indented under a plain value, or a value "
        "containing ': ' needs quotes ('like: this')",
    ),
    (
        "a tab",
        "store:\n\turl: x\n",
        2,
        "YAML syntax error: a tab character; YAML indents with spaces only, so replace the tab with spaces",
    ),
    (
        "unclosed quote",
        "cycles: []\ntitle: 'abc\nx: 1\n",
        2,
        "YAML syntax error: a quoted value starts here and is never closed; add the closing quote",
    ),
    (
        "unclosed list",
        "objectives:\n  - id: ENG-1\n    title: [unclosed\n",
        3,
        "YAML syntax error: this [list] is not closed with ']', or its items are not separated by commas",
    ),
    (
        "unclosed mapping",
        "a: {b: 1\nc: 2\n",
        1,
        "YAML syntax error: this {mapping} is not closed with '}', or its entries are not separated by commas",
    ),
    (
        "undefined alias",
        "a: 1\nb: *nope\n",
        2,
        "YAML syntax error: *nope refers to no anchor; define &nope on a value above it",
    ),
    (
        "two documents",
        "a: 1\n---\nb: 2\n",
        2,
        "YAML syntax error: a second YAML document (---) starts here; a config is one document, so remove the '---'",
    ),
    (
        "unknown escape",
        'a: "\\q"\n',
        1,
        "YAML syntax error: unknown escape \\q in a double-quoted value; use single quotes, or write \\\\ for a "
        "backslash",
    ),
    (
        "python tag",
        "a: !!python/object:os.system x\n",
        1,
        "YAML syntax error: YAML tags such as !!python/object:os.system are not allowed in a config; remove it",
    ),
    (
        "local tag",
        "a: !vault x\n",
        1,
        "YAML syntax error: YAML tags such as !vault are not allowed in a config; remove it",
    ),
]


@pytest.mark.parametrize(("text", "line", "message"), [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_syntax_errors_are_said_in_plain_words(text: str, line: int, message: str) -> None:
    """Each mistake is one problem, `file:line:` then plain words; none of PyYAML's terms remain."""
    with pytest.raises(ConfigError) as caught:
        parse_yaml(text, "syncd.yaml")
    assert str(caught.value) == f"syncd.yaml:{line}: {message}"
    assert not any(word in str(caught.value) for word in JARGON)


def test_an_unforeseen_syntax_error_still_names_its_line() -> None:
    """A mistake the table does not know keeps PyYAML's problem text, on one line with the usual prefix."""
    with pytest.raises(ConfigError) as caught:
        parse_yaml("a: &\n", "syncd.yaml")
    [problem] = caught.value.problems
    assert str(problem).startswith("syncd.yaml:1: YAML syntax error: ")
    assert "\n" not in str(problem)
