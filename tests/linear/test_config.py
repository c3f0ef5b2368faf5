"""The `kind: linear` source config is the issue's YAML: API root, API key or OAuth token, team keys, secret,
attachment."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from adapters.linear.config import LinearSourceConfig
from tests.contract.bench import contract_config

ISSUE_YAML = """
name: acme-linear
kind: linear
base_url: https://api.linear.app
token: lin_api_0123456789abcdef
teams: [ENG, DES]
webhook_secret: hook-secret-0123456789
attachment: true
"""


def config(**overrides: Any) -> LinearSourceConfig:
    """The issue's example source, with overrides (None removes a key)."""
    raw: dict[str, Any] = yaml.safe_load(ISSUE_YAML) | overrides
    return LinearSourceConfig.model_validate({key: value for key, value in raw.items() if value is not None})


class TestTheIssuesExample:
    """Every key of the issue's example is accepted with the meaning it states."""

    def test_the_example_loads(self) -> None:
        """Teams as written, GraphQL at BASE/graphql, the progress attachment on."""
        loaded = config(base_url="https://api.linear.app/")
        assert (loaded.teams, loaded.endpoint, loaded.attachment) == (
            ["ENG", "DES"], "https://api.linear.app/graphql", True
        )  # fmt: skip

    def test_defaults(self) -> None:
        """Without base_url and attachment: Linear's API, comments only, unsigned webhooks refused by check."""
        loaded = config(base_url=None, attachment=None, webhook_secret=None)
        assert (loaded.endpoint, loaded.attachment, loaded.webhook_secret) == (
            "https://api.linear.app/graphql", False, None
        )  # fmt: skip

    def test_an_api_key_is_sent_bare_and_an_oauth_token_as_bearer(self) -> None:
        """Linear's two kinds of token."""
        assert config().is_api_key
        assert not config(token="oauth-access-token-0123").is_api_key

    def test_the_registry_knows_the_kind(self) -> None:
        """A `kind: linear` source in a whole config validates through the registry's model."""
        loaded = contract_config(yaml.safe_load(ISSUE_YAML))
        assert isinstance(loaded.sources[0], LinearSourceConfig)


class TestRefusals:
    """Mistakes are refused with the key and what to write."""

    @pytest.mark.parametrize("teams", [["eng"], ["ENG-1"], []])
    def test_team_keys_must_be_keys(self, teams: list[str]) -> None:
        """Lower case, an issue identifier, none at all."""
        with pytest.raises(ValidationError):
            config(teams=teams)

    def test_unknown_keys_are_refused(self) -> None:
        """A typo never passes silently."""
        with pytest.raises(ValidationError, match="attachments"):
            config(attachments=True)

    def test_the_token_never_shows(self) -> None:
        """The token is a secret in repr and dumps."""
        assert "lin_api_0123456789abcdef" not in repr(config())
