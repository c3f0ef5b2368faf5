"""The published JSON Schema matches the models, and the example config is valid and shows every option."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import jsonschema
import yaml

from adapters.registry import config_model, load_config
from syncd.config.schema import config_schema_text
from tests.support.configs import CONTRACT, EXAMPLE, SCHEMA

REGENERATE = "python -m syncd.cli.docs schema > config/syncd.schema.json"
EXAMPLE_ENV = {
    "GITHUB_TOKEN": "ghp_example-0123456789",
    "GITHUB_WEBHOOK_SECRET": "example-secret-0123456789",
    "ASANA_TOKEN": "asana-example-0123456789",
    "SYNCD_API_TOKEN": "api-example-0123456789",
}


def _property_names(schema: Any) -> Iterator[str]:
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key == "properties":
                yield from value
            yield from _property_names(value)
    elif isinstance(schema, list):
        for item in schema:
            yield from _property_names(item)


class TestSchemaFile:
    """config/syncd.schema.json is SyncdConfig's schema, byte for byte."""

    def test_schema_file_equals_the_models(self) -> None:
        """A model change without regenerating the file fails here, with the command that fixes it."""
        assert SCHEMA.read_text(encoding="utf-8") == config_schema_text(config_model()), (
            f"schema is stale; run: {REGENERATE}"
        )

    def test_schema_accepts_the_contract_and_example_configs(self) -> None:
        """An editor using the schema does not flag the contract or the example (including `include:`)."""
        schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
        for path in (CONTRACT, EXAMPLE):
            document = yaml.safe_load(path.read_text(encoding="utf-8"))
            document = json.loads(json.dumps(document, default=str))  # dates as strings, as an editor sees them
            jsonschema.validate({**document, "include": ["okrs/team.yaml"]}, schema)

    def test_schema_rejects_an_unknown_key(self) -> None:
        """Editors flag typos too: the schema forbids unknown keys."""
        schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
        validator = jsonschema.Draft202012Validator(schema)
        errors = list(validator.iter_errors({"cycles": [], "objectivs": []}))
        assert any("objectivs" in error.message for error in errors)


class TestExampleConfig:
    """config/example.yaml is valid and mentions every option of the schema."""

    def test_example_validates(self) -> None:
        """With its variables set, `syncd check` would accept the example."""
        config = load_config(EXAMPLE, environ=EXAMPLE_ENV)
        assert {source.kind for source in config.sources} == {"github", "asana"}

    def test_every_schema_key_appears_in_the_example(self) -> None:
        """Each option (both adapters' too) is shown, set or in a comment, so admins can discover it."""
        text = EXAMPLE.read_text(encoding="utf-8")
        schema = json.loads(config_schema_text(config_model()))
        missing = sorted(
            name for name in set(_property_names(schema)) if not re.search(rf"(^|[\s{{,#]){name}:", text, re.M)
        )
        assert missing == [], f"add these options to config/example.yaml: {', '.join(missing)}"
