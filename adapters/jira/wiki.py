"""Jira wiki markup, the comment format of Data Center / Server (REST v2), made from the ADF progress comment.

The runtime renders one comment per task as ADF (`adapters.jira.render`), whatever the flavour, so the
text it hashes does not depend on which Jira answered; a Data Center push turns that document into wiki
markup here. Only the nodes the renderer writes are known: paragraphs, bullet lists of list items, text
with `strong` (`*x*`), `em` (`_x_`) and `code` (`{{x}}`) marks. A list item's second paragraph follows a
forced line break (`\\\\`), as a wiki list item is one line. Wiki has no hidden text either, so the comment
is found again through the issue property, as on Cloud::

    *OKR progress* for this task

    * *ENG-1.2* Ship onboarding: *67%* (2 of 3 tasks done), on track\\\\ _Objective ENG-1 ... UTC_
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

#: Characters that would start markup inside text; a backslash makes each one literal.
_SPECIAL = re.compile(r"([\\*_{}\[\]|^~!])")
_WRAPS = {"strong": ("*", "*"), "em": ("_", "_"), "code": ("{{", "}}")}
#: One token of a line's reading: an escaped character (kept), or a mark's delimiter (dropped).
_TOKEN = re.compile(r"\\(.)|\{\{|\}\}|(?<!\w)[*_]|[*_](?!\w)")
_BULLET = re.compile(r"^\*+ ", re.M)


def wiki_markup(document: Mapping[str, Any]) -> str:
    """An ADF document (as `adapters.jira.render` writes it) as Jira wiki markup."""
    blocks = [_block(node) for node in document.get("content") or () if isinstance(node, Mapping)]
    return "\n\n".join(block for block in blocks if block)


def _block(node: Mapping[str, Any]) -> str:
    if node.get("type") == "bulletList":
        items = [child for child in node.get("content") or () if isinstance(child, Mapping)]
        return "\n".join("* " + _list_item(item) for item in items)
    return _inline(node)


def _list_item(item: Mapping[str, Any]) -> str:
    parts = [_block(child) for child in item.get("content") or () if isinstance(child, Mapping)]
    return "\\\\ ".join(part for part in parts if part)


def _inline(node: Mapping[str, Any]) -> str:
    return "".join(_text(child) for child in node.get("content") or () if isinstance(child, Mapping))


def _text(node: Mapping[str, Any]) -> str:
    if node.get("type") != "text":
        return _inline(node)
    raw = str(node.get("text", ""))
    core = raw.strip()
    if not core:
        return raw
    body = _SPECIAL.sub(r"\\\1", core)
    for mark in node.get("marks") or ():
        opening, closing = _WRAPS.get(str(mark.get("type")) if isinstance(mark, Mapping) else "", ("", ""))
        body = f"{opening}{body}{closing}"
    lead, trail = raw[: len(raw) - len(raw.lstrip())], raw[len(raw.rstrip()) :]
    return f"{lead}{body}{trail}"


def wiki_text(markup: str) -> str:
    """What a wiki comment reads as (marks and escapes dropped, forced line breaks as new lines)."""
    lines = _BULLET.sub("", markup.replace("\\\\ ", "\n"))
    return _TOKEN.sub(lambda found: found.group(1) or "", lines)
