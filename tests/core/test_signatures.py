"""Webhook signature checks: HMAC-SHA256 over the raw body, any of several secrets, no leaks."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from syncd.core.errors import SignatureError
from syncd.core.signatures import hmac_sha256_hex, verify_hmac_sha256

BODY = b'{"action":"opened","issue":{"number":12}}'
SECRET = "It's a Secret to Everybody"


def github_signature(secret: str, body: bytes) -> str:
    """What GitHub sends in X-Hub-Signature-256."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class TestHmacHex:
    """The digest itself."""

    def test_matches_githubs_documented_example(self) -> None:
        """GitHub's docs: secret "It's a Secret to Everybody", payload "Hello, World!"."""
        assert hmac_sha256_hex(SECRET, b"Hello, World!") == (
            "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
        )

    def test_bytes_and_str_secrets_agree(self) -> None:
        """A secret given as bytes signs like its UTF-8 text."""
        assert hmac_sha256_hex(SECRET.encode(), BODY) == hmac_sha256_hex(SECRET, BODY)


class TestVerify:
    """Accept a matching signature; reject everything else without revealing secrets."""

    def test_valid_prefixed_signature_is_accepted(self) -> None:
        """GitHub style `sha256=<hex>`."""
        verify_hmac_sha256([SECRET], BODY, github_signature(SECRET, BODY), prefix="sha256=")

    def test_uppercase_hex_and_whitespace_are_accepted(self) -> None:
        """Hex case and surrounding space do not matter."""
        signature = " " + hmac_sha256_hex(SECRET, BODY).upper() + " "
        verify_hmac_sha256([SECRET], BODY, signature)

    def test_any_of_several_secrets_matches(self) -> None:
        """During rotation both the old and the new secret are accepted (Asana keeps one per hook)."""
        verify_hmac_sha256(["old-secret", SECRET], BODY, hmac_sha256_hex(SECRET, BODY))

    @pytest.mark.parametrize(
        ("signature", "message"),
        [
            (None, "carries no signature"),
            ("", "carries no signature"),
            ("sha1=abc", "does not start with 'sha256='"),
            ("sha256=" + "0" * 64, "does not match the body"),
        ],
    )
    def test_bad_signatures_are_rejected(self, signature: str | None, message: str) -> None:
        """Missing, wrongly prefixed and wrong signatures raise SignatureError saying which."""
        with pytest.raises(SignatureError, match=message):
            verify_hmac_sha256([SECRET], BODY, signature, prefix="sha256=")

    def test_tampered_body_is_rejected(self) -> None:
        """One changed byte of the body breaks the signature."""
        with pytest.raises(SignatureError):
            verify_hmac_sha256([SECRET], BODY.replace(b"12", b"13"), github_signature(SECRET, BODY), prefix="sha256=")

    def test_no_known_secret_is_rejected(self) -> None:
        """Before an Asana handshake stored a secret, nothing verifies."""
        with pytest.raises(SignatureError, match="no secret is known"):
            verify_hmac_sha256([], BODY, hmac_sha256_hex(SECRET, BODY))

    def test_error_never_contains_the_secret_or_expected_digest(self) -> None:
        """The message is safe to log."""
        with pytest.raises(SignatureError) as caught:
            verify_hmac_sha256([SECRET], BODY, "deadbeef")
        assert SECRET not in str(caught.value)
        assert hmac_sha256_hex(SECRET, BODY) not in str(caught.value)
