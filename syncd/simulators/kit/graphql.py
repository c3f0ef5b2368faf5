"""Request conformance for GraphQL trackers (Linear, GitHub's GraphQL API): a query and its variables
checked against the tracker's schema (SDL) with graphql-core.

A request conforms when its document parses, validates against the schema (fields, arguments, types,
fragments: the rules every GraphQL server applies), names an operation it contains, and its variables
coerce to the declared types. Findings are lines naming the operation; an empty list means it conforms.

graphql-core comes with the `dev` extra: import this module from tests, not from a simulator's serving path.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from graphql import GraphQLError, GraphQLSchema, OperationDefinitionNode, build_schema, parse, validate
from graphql.execution.values import get_variable_values


class GraphQLChecker:
    """One GraphQL schema and the checks a request must pass against it."""

    def __init__(self, schema: GraphQLSchema) -> None:
        self.schema = schema

    @classmethod
    def from_file(cls, path: Path) -> GraphQLChecker:
        """A checker over a schema file in SDL (`schema.graphql`)."""
        return cls(build_schema(path.read_text(), assume_valid=True))

    def problems(
        self, query: str, variables: Mapping[str, Any] | None = None, operation_name: str | None = None
    ) -> list[str]:
        """Why this request would be refused by a server with this schema (empty when it would not)."""
        where = operation_name or "anonymous operation"
        try:
            document = parse(query)
        except GraphQLError as error:
            return [f"{where}: syntax: {error.message}"]
        found = [f"{where}: {error.message}" for error in validate(self.schema, document)]
        if found:
            return found
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        chosen = [o for o in operations if operation_name is None or (o.name and o.name.value == operation_name)]
        if len(chosen) != 1:
            return [f"{where}: the document has {len(chosen)} matching operations; a request names exactly one"]
        coerced = get_variable_values(self.schema, chosen[0].variable_definitions or (), dict(variables or {}))
        if isinstance(coerced, list):
            return [f"{where}: {error.message}" for error in coerced]
        return []
