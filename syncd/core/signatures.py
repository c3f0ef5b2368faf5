"""Webhook signature checks: HMAC-SHA256 over the raw body, compared in constant time."""

from __future__ import annotations

import hmac

from syncd.core.errors import SignatureError


def hmac_sha256_hex(secret: str | bytes, body: bytes) -> str:
    """Hex HMAC-SHA256 of `body` keyed by `secret` (what GitHub and Asana send)."""
    key = secret.encode() if isinstance(secret, str) else secret
    return hmac.digest(key, body, "sha256").hex()  # one-shot C call: cheaper than hmac.new per delivery


def verify_hmac_sha256(
    secrets: list[str] | tuple[str, ...], body: bytes, signature: str | None, *, prefix: str = ""
) -> None:
    """Accept `signature` (`<prefix><hex>`) if it matches the body under any of `secrets`.

    Raises `SignatureError` without saying which part was wrong beyond missing/mismatch: the
    message never contains a secret or the expected digest."""
    if not signature:
        raise SignatureError("the delivery carries no signature")
    if prefix and not signature.startswith(prefix):
        raise SignatureError(f"the signature does not start with {prefix!r}")
    given = signature[len(prefix) :].strip().lower().encode()
    if not secrets:
        raise SignatureError("no secret is known for this source yet")
    matched = False
    for secret in secrets:
        # compare_digest on every secret (no early exit) keeps the time independent of which one matched.
        matched |= hmac.compare_digest(hmac_sha256_hex(secret, body).encode(), given)
    if not matched:
        raise SignatureError("the signature does not match the body")
