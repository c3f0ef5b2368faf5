"""The kit's conformance checkers: requests judged against an OpenAPI description or a GraphQL schema, as a
new tracker's simulator tests would use them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from graphql import build_schema

from syncd.simulators.kit.graphql import GraphQLChecker
from syncd.simulators.kit.openapi import OpenApiChecker, SpecCall

ITEM = {"type": "object", "required": ["id"], "properties": {"id": {"type": "integer"}}}
SPEC: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "tracker", "version": "1"},
    "servers": [{"url": "https://tracker.example/api"}],
    "paths": {
        "/items/{id}": {
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
            "get": {
                "parameters": [{"name": "fields", "in": "query", "schema": {"type": "string"}}],
                "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": ITEM}}}},
            },
        },
        "/items/search": {"get": {"responses": {"200": {"description": "ok"}}}},
        "/items": {
            "post": {
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["title"],
                                "properties": {"title": {"type": "string"}},
                                "additionalProperties": False,
                            }
                        }
                    },
                },
                "responses": {"201": {"description": "created"}},
            }
        },
    },
}


def checker(**options: Any) -> OpenApiChecker:
    """The checker over a fresh copy of SPEC."""
    return OpenApiChecker(json.loads(json.dumps(SPEC)), host_url="https://tracker.example", prefix="/api", **options)


class TestOpenApi:
    """Method, path, query and body must match an operation; kept responses must match its schema."""

    def test_a_conforming_request_has_no_findings_and_the_most_literal_template_wins(self) -> None:
        """`/items/search` is its own operation, not `/items/{id}`; a valid read and write pass."""
        spec = checker(declared_query_only=True)
        assert spec.template_of("/items/search") == "/items/search"
        assert spec.template_of("/items/7") == "/items/{id}"
        assert spec.problems(SpecCall("GET", "/items/7", (("fields", "id"),))) == []
        assert spec.problems(SpecCall("POST", "/items", body=b'{"title": "Ship"}')) == []

    def test_unknown_paths_methods_query_names_and_bodies_are_findings(self) -> None:
        """Each kind of mistake a client (or a simulator) can make is named in one finding."""
        spec = checker(declared_query_only=True)
        assert spec.problems(SpecCall("GET", "/things")) == ["GET /things: no path of the description matches"]
        assert spec.problems(SpecCall("DELETE", "/items")) == ["DELETE /items: /items has no DELETE operation"]
        assert spec.problems(SpecCall("GET", "/items/7", (("feilds", "id"),))) == [
            "GET /items/7: query parameter 'feilds' is not declared"
        ]
        assert len(spec.problems(SpecCall("POST", "/items", body=b'{"titel": "Ship"}'))) == 1
        assert len(spec.problems(SpecCall("GET", "/items/seven"))) == 1

    def test_undeclared_query_names_pass_when_the_description_enumerates_them_elsewhere(self) -> None:
        """Without `declared_query_only` an extra name is left to the schemas (as Asana's description needs)."""
        assert checker().problems(SpecCall("GET", "/items/7", (("feilds", "id"),))) == []

    def test_a_kept_response_must_match_the_operations_schema(self) -> None:
        """`{"id": 7}` conforms; `{"id": "seven"}` is a finding; errors and empty bodies are not judged."""
        spec, read = checker(), SpecCall("GET", "/items/7")
        assert spec.response_problems(read, 200, b'{"id": 7}') == []
        assert len(spec.response_problems(read, 200, b'{"id": "seven"}')) == 1
        assert spec.response_problems(read, 404, b'{"message": "Not Found"}') == []

    def test_a_yaml_description_file_loads(self, tmp_path: Path) -> None:
        """`from_file` reads YAML as well as JSON (Asana publishes YAML)."""
        path = tmp_path / "spec.yaml"
        path.write_text(json.dumps(SPEC))  # JSON is YAML
        loaded = OpenApiChecker.from_file(path, host_url="https://tracker.example", prefix="/api")
        assert loaded.problems(SpecCall("GET", "/items/7")) == []


SDL = """
type Query { issues(first: Int, after: String): IssueConnection! }
type IssueConnection { nodes: [Issue!]! pageInfo: PageInfo! }
type Issue { id: ID! title: String! }
type PageInfo { hasNextPage: Boolean! endCursor: String }
"""
ISSUES = "query Issues($first: Int, $after: String) { issues(first: $first, after: $after) { nodes { id title } pageInfo { hasNextPage endCursor } } }"


class TestGraphQL:
    """A query must parse, validate against the schema, name one operation and carry well-typed variables."""

    def test_a_paged_query_with_good_variables_conforms(self) -> None:
        """`Issues(first: 50, after: null)` has no findings."""
        assert GraphQLChecker(build_schema(SDL)).problems(ISSUES, {"first": 50, "after": None}, "Issues") == []

    def test_a_misspelt_field_a_bad_variable_and_a_syntax_error_are_findings(self) -> None:
        """Each names the operation and says what the server would say."""
        spec = GraphQLChecker(build_schema(SDL))
        [field] = spec.problems(ISSUES.replace("title", "titel"), {}, "Issues")
        assert "titel" in field
        [variable] = spec.problems(ISSUES, {"first": "fifty"}, "Issues")
        assert variable.startswith("Issues: ")
        assert "first" in variable
        [syntax] = spec.problems("query { issues(", {}, None)
        assert syntax.startswith("anonymous operation: syntax:")
        assert spec.problems(ISSUES, {}, "Other") != []

    def test_linears_own_schema_judges_a_query_linear_would_take(self, vendor_data: Path) -> None:
        """Against Linear's published SDL, an issues page conforms and an unknown field does not."""
        spec = GraphQLChecker.from_file(vendor_data / "linear-graphql" / "schema.graphql")
        assert spec.problems(ISSUES, {"first": 50}, "Issues") == []
        assert spec.problems(ISSUES.replace("title", "progressPercent"), {"first": 50}, "Issues") != []
