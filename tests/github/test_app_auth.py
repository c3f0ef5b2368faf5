"""Authenticating as a GitHub App: JWT -> installation (found from the repo) -> installation token, refreshed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from adapters.github.adapter import GitHubAdapter
from adapters.github.client import GitHubClient
from adapters.github.config import GitHubSourceConfig
from syncd.core.errors import NotFound
from syncd.ports import PushWrite, WriteKind
from syncd.simulators.github import GitHubSimulator
from syncd.simulators.github.entities import TokenGrant
from tests.support.github_sim import github_source_dict

APP_ID = 4242
INSTALLATION = 77


@pytest.fixture(scope="module")
def app_key() -> tuple[str, str]:
    """A fresh RSA key pair as PEM: (private, public)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


@pytest.fixture
def app_adapter(github_sim: GitHubSimulator, app_key: tuple[str, str]) -> Iterator[GitHubAdapter]:
    """An adapter authenticating as app 4242, installed on acme/web and acme/api (installation id not configured)."""
    github_sim.register_app(APP_ID, app_key[1], INSTALLATION, ["acme/web", "acme/api"])
    entry = github_source_dict(github_sim)
    del entry["token"]
    entry["app"] = {"app_id": APP_ID, "private_key": app_key[0]}
    adapter = GitHubAdapter(GitHubSourceConfig.model_validate(entry))
    try:
        yield adapter
    finally:
        adapter.close()


def started() -> datetime:
    """A poll start time after every simulated change."""
    return datetime.now(UTC) + timedelta(seconds=2)


class TestAppAuth:
    """The adapter works as an app installation with no token configured."""

    def test_installation_is_found_and_its_token_used(
        self, github_sim: GitHubSimulator, app_adapter: GitHubAdapter
    ) -> None:
        """GET /repos/acme/web/installation (JWT), POST .../access_tokens (JWT), then the poll with the token."""
        github_sim.create_issue("acme/web", "task")
        result = app_adapter.poll(None, "acme/web", started())
        assert len(result.snapshots) == 1
        assert [(r.method, r.path, r.headers["authorization"]) for r in github_sim.requests] == [
            ("GET", "/repos/acme/web/installation", "Bearer"),
            ("POST", f"/app/installations/{INSTALLATION}/access_tokens", "Bearer"),
            ("GET", "/repos/acme/web/issues", "token"),
        ]
        assert [r.status for r in github_sim.requests] == [200, 201, 200]

    def test_token_is_refreshed_before_it_expires(
        self, github_sim: GitHubSimulator, app_adapter: GitHubAdapter
    ) -> None:
        """Tokens that expire within PyGithub's 20 s margin are replaced before use: no request is refused."""
        github_sim.credentials.token_ttl = timedelta(seconds=15)
        number = github_sim.create_issue("acme/web", "task")
        app_adapter.poll(None, "acme/web", started())
        app_adapter.apply(None, PushWrite(WriteKind.COMMENT, f"acme/web#{number}", text="50%"))
        assert len(github_sim.credentials.minted) >= 3
        assert all(r.status < 400 for r in github_sim.requests)

    def test_expired_token_is_refused_by_the_simulator(self, github_sim: GitHubSimulator) -> None:
        """The simulator enforces expiry, so the refresh test above proves something."""
        expired = TokenGrant("app[bot]", datetime.now(UTC) - timedelta(seconds=1), INSTALLATION)
        github_sim.credentials.tokens["ghs_old"] = expired
        answer = httpx.get(f"{github_sim.api_url}/repos/acme/web/issues", headers={"Authorization": "token ghs_old"})
        assert answer.status_code == 401
        github_sim.clear_requests()

    def test_installation_token_reaches_only_installed_repos(
        self, github_sim: GitHubSimulator, app_adapter: GitHubAdapter
    ) -> None:
        """A repository outside the installation is invisible (404 -> NotFound)."""
        github_sim.create_repo("acme/secret")
        with pytest.raises(NotFound):
            app_adapter.poll(None, "acme/secret", started())

    def test_graphql_uses_the_installation_token(self, github_sim: GitHubSimulator, app_key: tuple[str, str]) -> None:
        """The Projects v2 field is written with the app's installation token too."""
        github_sim.register_app(APP_ID, app_key[1], INSTALLATION, ["acme/web"])
        project = github_sim.create_project("OKRs", {"Progress": "NUMBER"})
        number = github_sim.create_issue("acme/web", "task")
        github_sim.add_to_project(project, "acme/web", number)
        entry = github_source_dict(github_sim, repos=("acme/web",))
        del entry["token"]
        entry["app"] = {"app_id": APP_ID, "private_key": app_key[0], "installation_id": INSTALLATION}
        entry["project_field"] = {"project_id": project, "field": "Progress"}
        adapter = GitHubAdapter(GitHubSourceConfig.model_validate(entry))
        try:
            adapter.apply(None, PushWrite(WriteKind.FIELD, f"acme/web#{number}", number=0.5))
            checks = {c.check: c for c in adapter.check_online(None)}
        finally:
            adapter.close()
        assert github_sim.project_value(project, "acme/web", number, "Progress") == 0.5
        assert {r.headers["authorization"] for r in github_sim.requests if r.api == "graphql"} == {"bearer"}
        assert checks["credentials"].detail == f"app {APP_ID}: installation token minted"

    def test_failed_token_mint_is_retried_not_leaked(
        self, github_sim: GitHubSimulator, app_key: tuple[str, str]
    ) -> None:
        """A 502 while minting the installation token is a Retriable like any other: the poll still succeeds."""
        github_sim.register_app(APP_ID, app_key[1], INSTALLATION, ["acme/web"])
        github_sim.faults.server_error(1, method="POST", path="/app/installations/*/access_tokens")
        github_sim.faults.server_error(1, method="GET", path="/repos/*/installation")
        entry = github_source_dict(github_sim, repos=("acme/web",))
        del entry["token"]
        entry["app"] = {"app_id": APP_ID, "private_key": app_key[0]}
        config = GitHubSourceConfig.model_validate(entry)
        adapter = GitHubAdapter(config, client=GitHubClient(config, backoff_base=0.01))
        try:
            result = adapter.poll(None, "acme/web", started())
        finally:
            adapter.close()
        assert result.snapshots == ()
        assert [r.status for r in github_sim.requests] == [502, 200, 502, 201, 200]
