"""Who may call the simulated GitHub: personal tokens, GitHub Apps (JWT) and their installation tokens."""

from __future__ import annotations

import secrets
import threading
from datetime import UTC, datetime, timedelta

import jwt

from syncd.simulators.github.entities import SimApp, TokenGrant
from syncd.simulators.github.state import SimError

#: Installation tokens live an hour on GitHub; tests shorten it to see refreshes.
DEFAULT_TOKEN_TTL = timedelta(hours=1)


class Credentials:
    """Tokens and apps; `grant_for(authorization)` says who a request speaks for, or answers 401."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.tokens: dict[str, TokenGrant] = {}
        self.apps: dict[int, SimApp] = {}
        self.token_ttl = DEFAULT_TOKEN_TTL
        self.minted: list[tuple[int, datetime]] = []  # (installation id, expires_at), for assertions

    def add_token(self, token: str, login: str) -> None:
        """Accept a personal token speaking for `login`."""
        with self._lock:
            self.tokens[token] = TokenGrant(login=login)

    def register_app(
        self, app_id: int, public_key_pem: str, installation_id: int, repos: list[str]
    ) -> list[str] | None:
        """Register an app and one installation of it covering `repos`; returns the repos it covered
        before (None when the installation is new)."""
        with self._lock:
            app = self.apps.setdefault(app_id, SimApp(app_id, public_key_pem))
            app.public_key_pem = public_key_pem
            before = app.installations.get(installation_id)
            app.installations[installation_id] = [repo.lower() for repo in repos]
            return before

    def grant_for(self, authorization: str | None) -> TokenGrant:
        """The grant behind an `Authorization: token X` / `Bearer X` header; 401 when absent, unknown or expired."""
        token = _bearer(authorization)
        grant = self.tokens.get(token)
        if grant is None:
            raise SimError(401, "Bad credentials")
        if grant.expires_at is not None and grant.expires_at <= datetime.now(UTC):
            raise SimError(401, "Bad credentials: the installation token has expired")
        return grant

    def app_for(self, authorization: str | None) -> SimApp:
        """The app whose RS256 JWT signs this request; 401 when it does not verify."""
        token = _bearer(authorization)
        try:
            claims = jwt.decode(token, options={"verify_signature": False})
            app = self.apps[int(claims["iss"])]
            jwt.decode(token, app.public_key_pem, algorithms=["RS256"], leeway=60)
        except (jwt.PyJWTError, KeyError, ValueError) as error:
            raise SimError(401, f"A JSON web token could not be decoded ({error})") from error
        return app

    def mint(self, app: SimApp, installation_id: int) -> tuple[str, datetime]:
        """A fresh installation token and its expiry."""
        if installation_id not in app.installations:
            raise SimError(404, "Not Found")
        token = "ghs_" + secrets.token_hex(18)
        expires_at = datetime.now(UTC).replace(microsecond=0) + self.token_ttl
        with self._lock:
            self.tokens[token] = TokenGrant(f"app-{app.app_id}[bot]", expires_at, installation_id)
            self.minted.append((installation_id, expires_at))
        return token, expires_at

    def installation_of(self, app: SimApp, full_name: str) -> int:
        """The app's installation covering a repository, or 404."""
        for installation_id, repos in app.installations.items():
            if full_name.lower() in repos:
                return installation_id
        raise SimError(404, "Not Found")

    def may_access(self, grant: TokenGrant, full_name: str) -> bool:
        """Installation tokens reach only their installation's repositories; personal tokens reach all."""
        if grant.installation_id is None:
            return True
        return any(full_name.lower() in app.installations.get(grant.installation_id, []) for app in self.apps.values())


def _bearer(authorization: str | None) -> str:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() not in ("token", "bearer") or not token.strip():
        raise SimError(401, "Requires authentication")
    return token.strip()
