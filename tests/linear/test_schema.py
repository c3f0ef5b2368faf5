"""Linear's published GraphQL schema (`../shared/vendor-data/linear-graphql/schema.graphql`, read there, never
copied) judges syncd's side and the simulator's: every document the client sends validates against it, and the
simulator's own SDL subset names only types, fields and arguments it has, with the same types. Skipped with a
reason when the vendor data is absent."""

from __future__ import annotations

import functools

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    build_schema,
)

from adapters.linear.documents import DOCUMENTS, document
from syncd.simulators.kit.graphql import GraphQLChecker
from syncd.simulators.linear.app import load_schema
from tests.linear.support import LINEAR_SCHEMA

pytestmark = pytest.mark.skipif(not LINEAR_SCHEMA.is_file(), reason=f"Linear's schema is absent ({LINEAR_SCHEMA})")


@functools.cache
def published() -> GraphQLSchema:
    """Linear's schema as graphql-core builds it (it declares its own `@oneOf`)."""
    return build_schema(LINEAR_SCHEMA.read_text(), assume_valid=True)


def disagreements(subset: GraphQLSchema, full: GraphQLSchema) -> list[str]:
    """Each type, field, argument or enum value of `subset` that `full` lacks or types differently."""
    found: list[str] = []
    for name, kind in subset.type_map.items():
        if name.startswith("__"):
            continue
        theirs = full.get_type(name)
        if theirs is None or type(theirs) is not type(kind):
            found.append(f"type {name}: not in the published schema as a {type(kind).__name__}")
            continue
        found += _members(name, kind, theirs)
    return found


def _members(name: str, ours: GraphQLNamedType, theirs: GraphQLNamedType) -> list[str]:
    found: list[str] = []
    if isinstance(ours, GraphQLEnumType) and isinstance(theirs, GraphQLEnumType):
        found += [f"{name}.{value}: no such enum value" for value in ours.values if value not in theirs.values]
    if not isinstance(ours, GraphQLObjectType | GraphQLInputObjectType):
        return found
    assert isinstance(theirs, GraphQLObjectType | GraphQLInputObjectType)
    for field_name, field in ours.fields.items():
        other = theirs.fields.get(field_name)
        if other is None:
            found.append(f"{name}.{field_name}: no such field")
            continue
        if str(field.type) != str(other.type):
            found.append(f"{name}.{field_name}: {field.type} here, {other.type} in Linear's schema")
        for argument, given in getattr(field, "args", {}).items():
            counterpart = getattr(other, "args", {}).get(argument)
            if counterpart is None or str(counterpart.type) != str(given.type):
                found.append(f"{name}.{field_name}({argument}): missing or typed differently in Linear's schema")
    return found


class TestSyncdsDocuments:
    """Every `.graphql` document the client sends is one Linear would accept."""

    @pytest.mark.parametrize("name", DOCUMENTS)
    def test_the_document_validates(self, name: str) -> None:
        """Parsed and validated against the published schema (variables are checked per request elsewhere)."""
        problems = GraphQLChecker(published()).problems(document(name))
        assert [p for p in problems if "was not provided" not in p and "to be provided" not in p] == []

    def test_a_wrong_document_is_reported(self) -> None:
        """The check is not blind: a field Linear's Issue lacks is a finding."""
        problems = GraphQLChecker(published()).problems('query Q { issue(id: "x") { storyPoints } }')
        assert any("storyPoints" in problem for problem in problems)


class TestSimulatorSchema:
    """The simulator serves a subset of Linear's schema, in Linear's own names and types."""

    def test_every_type_field_and_argument_is_linears(self) -> None:
        """No type, field, argument or enum value of the subset differs from the published schema."""
        assert disagreements(load_schema(), published()) == []

    def test_a_difference_is_reported(self) -> None:
        """The comparison is not blind: a renamed field and a loosened type are both found."""
        wrong = build_schema(
            "type Query { issue(id: String!): Issue! }\ntype Issue { id: ID! estimatePoints: Float title: String }"
        )
        found = disagreements(wrong, published())
        assert "Issue.estimatePoints: no such field" in found
        assert "Issue.title: String here, String! in Linear's schema" in found

    def test_the_documents_run_against_the_simulator_too(self) -> None:
        """What validates against Linear's schema validates against the simulator's (no document outgrows it)."""
        checker = GraphQLChecker(load_schema())
        for name in DOCUMENTS:
            assert [p for p in checker.problems(document(name)) if "provided" not in p] == [], name
