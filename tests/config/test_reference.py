"""The README's configuration reference is generated from the models and kept equal to them."""

from __future__ import annotations

from pathlib import Path

from adapters.registry import config_model
from syncd.config.reference import END, START, reference_markdown

README = Path(__file__).resolve().parents[2] / "README.md"


class TestReadmeReference:
    """Every config key an admin can write is documented in the README, and nothing else is."""

    def test_readme_holds_the_generated_reference(self) -> None:
        """The text between the markers is exactly what the generator prints."""
        text = README.read_text()
        assert START in text
        assert END in text
        between = text[text.index(START) : text.index(END) + len(END)]
        assert between == reference_markdown(config_model()), (
            "run: python -m syncd.cli.docs reference --write README.md"
        )

    def test_reference_names_nested_and_adapter_keys(self) -> None:
        """Nested keys carry their full path and each source kind has its own table."""
        text = reference_markdown(config_model())
        for key in ("`objectives[].key_results[].measure`", "`matching.rules[].regex`", "`push.coalesce_window`"):
            assert key in text
        assert "#### `sources[]` with `kind: github`" in text
        assert "#### `sources[]` with `kind: asana`" in text
        assert "| `webhook_secret` | secret (`${ENV}`) |" in text
