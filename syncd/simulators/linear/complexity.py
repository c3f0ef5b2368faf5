"""A GraphQL document's complexity as Linear prices it: each scalar field 0.1 point, each object 1 point,
and a connection's contents multiplied by its `first` (50 when not given), rounded up.

Linear rate-limits complexity per hour besides requests and refuses one query above 10,000 points; the
simulator charges every request this way and reports it (`X-Complexity`, `X-RateLimit-Complexity-*`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
)

#: What a connection without `first` returns (Linear's default page).
DEFAULT_FIRST = 50
#: The most one query may cost.
MAX_COMPLEXITY = 10_000


def _first(node: FieldNode, variables: Mapping[str, Any]) -> int | None:
    for argument in node.arguments or ():
        if argument.name.value != "first":
            continue
        value = argument.value
        if isinstance(value, IntValueNode):
            return int(value.value)
        if isinstance(value, VariableNode):
            given = variables.get(value.name.value)
            return int(given) if isinstance(given, int) else DEFAULT_FIRST
    return None


def _cost(selection: SelectionSetNode, fragments: Mapping[str, FragmentDefinitionNode],
          variables: Mapping[str, Any]) -> float:  # fmt: skip
    total = 0.0
    for node in selection.selections:
        if isinstance(node, FragmentSpreadNode):
            fragment = fragments.get(node.name.value)
            total += _cost(fragment.selection_set, fragments, variables) if fragment else 0.0
        elif isinstance(node, InlineFragmentNode):
            total += _cost(node.selection_set, fragments, variables)
        elif isinstance(node, FieldNode):
            if node.selection_set is None:
                total += 0.1
                continue
            inner = _cost(node.selection_set, fragments, variables)
            first = _first(node, variables)
            names = {child.name.value for child in node.selection_set.selections if isinstance(child, FieldNode)}
            connection = first is not None or "nodes" in names
            total += 1 + inner * ((first if first is not None else DEFAULT_FIRST) if connection else 1)
    return total


def complexity(document: DocumentNode, variables: Mapping[str, Any], operation: str | None = None) -> int:
    """The points one request of `document` costs."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = [o for o in operations if operation is None or (o.name is not None and o.name.value == operation)]
    if not chosen:
        return 0
    return max(1, math.ceil(_cost(chosen[0].selection_set, fragments, variables)))
