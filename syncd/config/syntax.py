"""YAML syntax errors in plain words: PyYAML's parser terms become what is wrong at which line, and what to do."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import yaml

from syncd.config.errors import ConfigProblem

_INDENT = "this line is not indented like the lines before it; align it with the keys or `- ` items it belongs with"


@dataclass(frozen=True)
class _Rule:
    """PyYAML problems matching `problem` are said as `say(match)`, at the problem's line or the context's."""

    problem: re.Pattern[str]
    say: Callable[[re.Match[str]], str]
    at_context: bool = False


def _rule(pattern: str, say: str | Callable[[re.Match[str]], str], *, at_context: bool = False) -> _Rule:
    if isinstance(say, str):
        message = say
        return _Rule(re.compile(pattern), lambda _match: message, at_context)
    return _Rule(re.compile(pattern), say, at_context)


def _tag(match: re.Match[str]) -> str:
    tag = match.group(1).replace("tag:yaml.org,2002:", "!!")
    return f"YAML tags such as {tag} are not allowed in a config; remove it"


_RULES = (
    _rule(r"^expected <block end>", _INDENT),
    _rule(r"^did not find expected (key|'-' indicator)", _INDENT),
    _rule(
        r"^mapping values are not allowed here",
        "unexpected ':' here; a key is indented under a plain value, or a value containing ': ' needs quotes "
        "('like: this')",
    ),
    _rule(
        r"(found character '\\t' that cannot start any token|found a tab character)",
        "a tab character; YAML indents with spaces only, so replace the tab with spaces",
    ),
    _rule(
        r"^found character '(.)' that cannot start any token",
        lambda match: f"a value cannot start with '{match.group(1)}'; put the value in quotes",
    ),
    _rule(
        r"^found unexpected end of stream",
        "a quoted value starts here and is never closed; add the closing quote",
        at_context=True,
    ),
    _rule(
        r"^expected ',' or '\]'",
        "this [list] is not closed with ']', or its items are not separated by commas",
        at_context=True,
    ),
    _rule(
        r"^expected ',' or '\}'",
        "this {mapping} is not closed with '}', or its entries are not separated by commas",
        at_context=True,
    ),
    _rule(
        r"^found undefined alias '(.*)'",
        lambda match: f"*{match.group(1)} refers to no anchor; define &{match.group(1)} on a value above it",
    ),
    _rule(
        r"^but found another document",
        "a second YAML document (---) starts here; a config is one document, so remove the '---'",
    ),
    _rule(
        r"^found unknown escape character '(.*)'",
        lambda match: (
            f"unknown escape \\{match.group(1)} in a double-quoted value; use single quotes, "
            "or write \\\\ for a backslash"
        ),
    ),
    _rule(r"^could not determine a constructor for the tag '(.*)'", _tag),
    _rule(
        r"^could not find expected ':'",
        "a key without ':' (or a value broken across lines); write `key: value` on one line",
        at_context=True,
    ),
    _rule(r"^found duplicate anchor", "this anchor (&name) is defined twice; rename one of them"),
)


def syntax_problem(error: yaml.MarkedYAMLError, file: str) -> ConfigProblem:
    """One problem for a PyYAML syntax error, in plain words, at the line where the mistake is."""
    problem = " ".join((error.problem or "").split())
    for rule in _RULES:
        match = rule.problem.search(problem)
        if match is not None:
            mark = (error.context_mark if rule.at_context else None) or error.problem_mark or error.context_mark
            return _at(file, mark, rule.say(match))
    what = " ".join(part for part in (error.context, error.problem) if part)
    return _at(file, error.problem_mark or error.context_mark, " ".join(what.split()))


def _at(file: str, mark: yaml.Mark | None, message: str) -> ConfigProblem:
    return ConfigProblem(file, None if mark is None else mark.line + 1, "", f"YAML syntax error: {message}")
