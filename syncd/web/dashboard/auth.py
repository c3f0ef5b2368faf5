"""Who may see the dashboard: a viewer session (from `server.viewer_token`) or a trusted proxy's user header.

The session is a cookie signed by itsdangerous (HMAC-SHA1 over a timestamped payload) with a key derived from the
viewer token (HMAC-SHA256 of the token with a fixed label): changing the token signs everybody out, and the key is
never stored. The token is compared in constant time; wrong tokens are counted per client address and past
`LOGIN_ATTEMPTS` a minute answered 429, logged with the address but never the value.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from itsdangerous import BadSignature, URLSafeTimedSerializer
from pydantic import SecretStr
from starlette.requests import Request

from syncd.config.models import ServerConfig

SESSION_COOKIE = "syncd_session"
#: A session lasts this long (seconds) before the viewer logs in again.
SESSION_SECONDS = 12 * 3600
#: Wrong tokens allowed per client address per `LOGIN_WINDOW` seconds.
LOGIN_ATTEMPTS = 5
LOGIN_WINDOW = 60.0
_KEY_LABEL = b"syncd dashboard session key v1"


def dashboard_enabled(server: ServerConfig) -> bool:
    """Whether the dashboard is on: a viewer token or a trusted user header is configured."""
    return server.viewer_token is not None or server.trusted_user_header is not None


def _serializer(token: SecretStr) -> URLSafeTimedSerializer:
    """The session signer for this viewer token."""
    key = hmac.new(token.get_secret_value().encode(), _KEY_LABEL, hashlib.sha256).hexdigest()
    return URLSafeTimedSerializer(key, salt="syncd.dashboard.session")


def token_matches(server: ServerConfig, given: str) -> bool:
    """Whether `given` is the viewer token (constant time; False when none is configured)."""
    if server.viewer_token is None:
        return False
    return hmac.compare_digest(given.encode(), server.viewer_token.get_secret_value().encode())


def session_cookie(server: ServerConfig) -> str:
    """A fresh signed session value (the viewer token must be configured)."""
    assert server.viewer_token is not None
    return _serializer(server.viewer_token).dumps({"viewer": True})


def viewer(request: Request, server: ServerConfig) -> str | None:
    """Who is looking: the trusted header's user, `viewer` for a valid session, or None (not signed in)."""
    if server.trusted_user_header is not None:
        user = request.headers.get(server.trusted_user_header, "").strip()
        if user:
            return user
    if server.viewer_token is None:
        return None
    value = request.cookies.get(SESSION_COOKIE)
    if not value:
        return None
    try:
        _serializer(server.viewer_token).loads(value, max_age=SESSION_SECONDS)
    except BadSignature:
        return None
    return "viewer"


def cookie_secure(request: Request, server: ServerConfig) -> bool:
    """Whether the session cookie must be Secure: the request came over https or the public URL is https."""
    public = str(server.public_url or "")
    return request.url.scheme == "https" or public.startswith("https://")


@dataclass
class LoginLimiter:
    """Counts wrong tokens per client address over a sliding window; a clock is injectable for tests."""

    attempts: int = LOGIN_ATTEMPTS
    window: float = LOGIN_WINDOW
    clock: Callable[[], float] = time.monotonic
    _failures: dict[str, deque[float]] = field(default_factory=dict)

    def _now(self) -> float:
        return self.clock()

    def blocked_for(self, address: str) -> float:
        """Seconds until `address` may try again (0: it may now)."""
        failures = self._recent(address)
        if len(failures) < self.attempts:
            return 0.0
        return max(0.0, failures[0] + self.window - self._now())

    def failed(self, address: str) -> None:
        """Count one wrong token from `address`."""
        self._recent(address).append(self._now())
        if len(self._failures) > 10_000:  # bound memory under a spray of addresses: forget the quiet ones
            for quiet in [key for key, times in self._failures.items() if not times][:5_000]:
                del self._failures[quiet]

    def _recent(self, address: str) -> deque[float]:
        failures = self._failures.setdefault(address, deque())
        cutoff = self._now() - self.window
        while failures and failures[0] <= cutoff:
            failures.popleft()
        return failures
