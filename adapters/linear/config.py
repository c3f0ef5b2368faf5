"""`kind: linear` source config: the API root, a personal API key or OAuth token, team keys, webhook secret."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, SecretStr

from syncd.config.source import SourceConfig
from syncd.config.types import EnvironmentHttpUrl

_TEAM_KEY = re.compile(r"^[A-Z][A-Z0-9]{0,6}$")


def _team_key(key: str) -> str:
    """A Linear team key (`ENG`); checked per item so the error points at the item's own line."""
    if not _TEAM_KEY.match(key):
        raise ValueError(f"team {key!r} is not a Linear team key; write the key in capitals as Linear shows it (ENG)")
    return key


TeamKey = Annotated[str, AfterValidator(_team_key)]


class LinearSourceConfig(SourceConfig):
    """A Linear workspace read through its GraphQL API (`{base_url}/graphql`)."""

    kind: Literal["linear"]
    base_url: EnvironmentHttpUrl = Field(
        default="https://api.linear.app", description="API root; GraphQL is served at BASE/graphql."
    )
    token: SecretStr = Field(description="A personal API key (lin_api_...) or an OAuth access token (use ${ENV}).")
    teams: list[TeamKey] = Field(min_length=1, description="Keys of the teams to follow (ENG, DES).")
    webhook_secret: SecretStr | None = Field(
        default=None, description="Signing secret of the team webhooks (Linear-Signature) (use ${ENV})."
    )
    attachment: bool = Field(
        default=False, description="Also keep a progress attachment on each linked issue (Linear's sidebar)."
    )

    @property
    def endpoint(self) -> str:
        """The GraphQL endpoint."""
        return self.base_url.rstrip("/") + "/graphql"

    @property
    def is_api_key(self) -> bool:
        """Whether the token is a personal API key (sent bare) rather than an OAuth token (sent as Bearer)."""
        return self.token.get_secret_value().startswith("lin_api_")

    def follows(self, team: str | None) -> bool:
        """Whether issues of team `team` (a key) belong to this source."""
        return team is not None and team.upper() in {key.upper() for key in self.teams}
