"""`${ENV_VAR}` references: substituted in secrets and URL keys, required for secrets, never echoed in errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.registry import load_config
from syncd.config.errors import ConfigError
from tests.support.configs import MINIMAL, write_config

GITHUB_SOURCE = """\
sources:
  - name: acme-github
    kind: github
    base_url: https://${GHE_HOST}/api/v3
    token: ${GITHUB_TOKEN}
    webhook_secret: ${GITHUB_WEBHOOK_SECRET}
    repos: [acme/web]
"""
ENV = {
    "GHE_HOST": "ghe.acme.internal",
    "GITHUB_TOKEN": "ghp_s3cret-value",
    "GITHUB_WEBHOOK_SECRET": "whsec-value-0123456789",
}


def _problems(path: Path, environ: dict[str, str]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ=environ)
    return [str(problem) for problem in caught.value.problems]


class TestSubstitution:
    """References are replaced wherever they appear in a string value."""

    def test_references_are_replaced_inside_and_as_whole_values(self, tmp_path: Path) -> None:
        """`https://${GHE_HOST}/api/v3` and `${GITHUB_TOKEN}` both take the variables' values."""
        config = load_config(write_config(tmp_path, MINIMAL + GITHUB_SOURCE), environ=ENV)
        source = config.sources[0]
        assert source.base_url == "https://ghe.acme.internal/api/v3"
        assert source.token is not None
        assert source.token.get_secret_value() == "ghp_s3cret-value"

    def test_a_reference_gives_the_store_url(self, tmp_path: Path) -> None:
        """`store.url: ${SYNCD_DB}` is one of the documented URL keys that may read the environment."""
        path = write_config(tmp_path, MINIMAL + "store:\n  url: ${SYNCD_DB}\n")
        assert load_config(path, environ={"SYNCD_DB": "sqlite:///x.db"}).store.url == "sqlite:///x.db"

    def test_double_dollar_writes_a_literal_reference(self, tmp_path: Path) -> None:
        """`$${NAME}` is kept as the text `${NAME}` and needs no variable."""
        path = write_config(tmp_path, MINIMAL.replace("2026-12-31}", "2026-12-31, title: 'costs $${PRICE}'}"))
        assert load_config(path, environ={}).cycles[0].title == "costs ${PRICE}"

    def test_process_environment_is_the_default(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """Without an explicit mapping the loader reads os.environ."""
        for name, value in ENV.items():
            monkeypatch.setenv(name, value)
        assert load_config(write_config(tmp_path, MINIMAL + GITHUB_SOURCE)).sources[0].name == "acme-github"


class TestProblems:
    """Missing variables and literal secrets are problems that never show a secret value."""

    def test_every_missing_variable_is_named_with_its_key(self, tmp_path: Path) -> None:
        """Both missing variables are listed, each at its own line and key."""
        path = write_config(tmp_path, MINIMAL + GITHUB_SOURCE)
        assert _problems(path, {"GHE_HOST": "ghe"}) == [
            f"{path}:7: sources[0].token: environment variable GITHUB_TOKEN is not set; "
            "export GITHUB_TOKEN before starting syncd",
            f"{path}:8: sources[0].webhook_secret: environment variable GITHUB_WEBHOOK_SECRET is not set; "
            "export GITHUB_WEBHOOK_SECRET before starting syncd",
        ]

    def test_empty_variable_for_a_secret_is_refused(self, tmp_path: Path) -> None:
        """An empty token would fail later against the tracker; it is refused now, naming the variable."""
        path = write_config(tmp_path, MINIMAL + GITHUB_SOURCE)
        assert _problems(path, {**ENV, "GITHUB_WEBHOOK_SECRET": ""}) == [
            f"{path}:8: sources[0].webhook_secret: environment variable GITHUB_WEBHOOK_SECRET is empty; "
            "set it to the secret before starting syncd"
        ]

    def test_invalid_reference_is_explained(self, tmp_path: Path) -> None:
        """`${}` is not silently replaced by nothing."""
        path = write_config(tmp_path, MINIMAL + "store:\n  url: ${}\n")
        assert _problems(path, {}) == [
            f"{path}:4: store.url: ${{}} is not a valid environment variable reference; write ${{NAME}} (letters, digits, _)"
        ]

    def test_literal_secret_in_a_nested_model_is_refused_without_showing_it(self, tmp_path: Path) -> None:
        """A GitHub App private key written inline is refused, and the key text appears nowhere in the error."""
        source = (
            "sources:\n  - name: acme-github\n    kind: github\n    repos: [acme/web]\n"
            "    app:\n      app_id: 1\n      private_key: '-----BEGIN KEY----- abc'\n"
        )
        path = write_config(tmp_path, MINIMAL + source)
        problems = _problems(path, {})
        assert problems == [
            f"{path}:9: sources[0].app.private_key: a secret must not be written in the config file; "
            "put it in an environment variable and write ${ACME_GITHUB_APP_PRIVATE_KEY} here"
        ]
        assert "BEGIN KEY" not in "\n".join(problems)

    def test_literal_api_token_is_refused(self, tmp_path: Path) -> None:
        """server.api_token is a secret too."""
        path = write_config(tmp_path, MINIMAL + "server:\n  api_token: hunter2\n")
        assert _problems(path, {}) == [
            f"{path}:4: server.api_token: a secret must not be written in the config file; "
            "put it in an environment variable and write ${SERVER_API_TOKEN} here"
        ]

    def test_a_reference_in_a_plain_key_is_refused_without_its_value(self, tmp_path: Path) -> None:
        """`port: ${SYNCD_PORT}` is refused (`syncd run` reads SYNCD_PORT itself); the value is not shown."""
        path = write_config(tmp_path, MINIMAL + "server:\n  port: ${SYNCD_PORT}\n")
        problems = _problems(path, {"SYNCD_PORT": "not-a-port-xyz"})
        assert problems == [
            f"{path}:4: server.port: ${{SYNCD_PORT}} is not allowed here; only secrets (tokens, webhook secrets, "
            "keys) and URLs (store.url, server.public_url, base_url, graphql_url) may be ${NAME} references: "
            "write the value itself (or $${NAME} for the literal text)"
        ]

    def test_a_url_key_given_a_token_is_refused_without_its_value(self, tmp_path: Path) -> None:
        """`base_url: ${GITHUB_TOKEN}` (a slip) is no URL: refused at its key, the token shown nowhere."""
        path = write_config(tmp_path, MINIMAL + GITHUB_SOURCE.replace("https://${GHE_HOST}/api/v3", "${GITHUB_TOKEN}"))
        problems = _problems(path, ENV)
        assert problems == [
            f"{path}:6: sources[0].base_url: must be an http:// or https:// URL with a host name "
            "(for example https://api.github.com)"
        ]
        assert ENV["GITHUB_TOKEN"] not in "\n".join(problems)

    @pytest.mark.parametrize("url", ["ftp://ghe.acme.internal", "https://", "ghe.acme.internal/api/v3", "http://[::1"])
    def test_a_url_key_must_be_a_web_address(self, tmp_path: Path, url: str) -> None:
        path = write_config(tmp_path, MINIMAL + "server:\n  public_url: " + url + "\n")
        assert [problem.split(": ", 1)[1] for problem in _problems(path, {})] == [
            "server.public_url: must be an http:// or https:// URL with a host name (for example https://api.github.com)"
        ]
