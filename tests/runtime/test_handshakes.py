"""`StoreHandshakes`: an install's handshake secret is kept only when the create call's answer confirms the webhook
it was expected for; anything else discards it, and an install that stops half-way leaves no window behind."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from syncd.ports import CreatedWebhook, WebhookHandshake
from syncd.runtime.ingest.handshakes import StoreHandshakes
from syncd.store.handshakes import HandshakeUnexpected, store_pending_secret
from syncd.store.schema import HandshakeWindow, WebhookSecret
from tests.support.store import migrated_postgres
from tests.support.webhooks import migrated_sqlite

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
TARGET = "https://okr.example.com/webhooks/as?resource=123&install="


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated store on each dialect (PostgreSQL when SYNCD_TEST_POSTGRES_URL is set)."""
    if request.param == "sqlite":
        engine = migrated_sqlite(tmp_path / "syncd.db")
        yield engine
        engine.dispose()
        return
    with migrated_postgres(request.getfixturevalue("postgres_url")) as engine:
        yield engine


def handshakes(engine: Engine) -> StoreHandshakes:
    """The install's handshakes for source `as`."""
    return StoreHandshakes(engine, "as", lambda: NOW)


def handshake_arrives(engine: Engine, nonce: str, echoed: str = "hs-1") -> None:
    """What the web route does with Asana's handshake for resource 123 (`HandshakeUnexpected` when refused)."""
    store_pending_secret(engine, "as", WebhookHandshake("123", echoed, nonce=nonce), NOW)


def kept(engine: Engine) -> list[tuple[str, str, str | None]]:
    """(resource, secret, webhook id) of every confirmed secret."""
    table = WebhookSecret.__table__
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(select(table.c.resource, table.c.secret, table.c.webhook_gid))]  # type: ignore[misc]


def windows(engine: Engine) -> int:
    """How many handshake windows are open."""
    with engine.connect() as conn:
        return len(conn.execute(select(HandshakeWindow.__table__)).all())


class TestConfirm:
    """The pending secret becomes the resource's only for the webhook the install created."""

    def test_a_matching_answer_keeps_the_secret_bound_to_the_webhook(self, engine: Engine) -> None:
        """Same resource, the target with this install's nonce, the same secret repeated: kept with the webhook id."""
        install = handshakes(engine)
        nonce = install.expect("123")
        handshake_arrives(engine, nonce)
        assert install.confirm("123", CreatedWebhook("w-1", "123", TARGET + nonce, "hs-1"))
        assert kept(engine) == [("123", "hs-1", "w-1")]
        assert install.confirmed("123") == "w-1"
        assert windows(engine) == 0

    def test_an_answer_without_the_secret_is_confirmed_by_the_nonce(self, engine: Engine) -> None:
        """An answer that does not repeat X-Hook-Secret still confirms through resource and nonce."""
        install = handshakes(engine)
        nonce = install.expect("123")
        handshake_arrives(engine, nonce)
        assert install.confirm("123", CreatedWebhook("w-1", "123", TARGET + nonce))
        assert kept(engine) == [("123", "hs-1", "w-1")]

    @pytest.mark.parametrize(
        "answer",
        [
            None,
            CreatedWebhook("", "123", TARGET + "{nonce}", "hs-1"),
            CreatedWebhook("w-1", "456", TARGET + "{nonce}", "hs-1"),
            CreatedWebhook("w-1", "123", TARGET + "another-nonce", "hs-1"),
            CreatedWebhook("w-1", "123", TARGET.removesuffix("&install="), "hs-1"),
            CreatedWebhook("w-1", "123", TARGET + "{nonce}", "another-secret"),
        ],
        ids=["create-failed", "no-gid", "other-resource", "other-nonce", "no-nonce", "other-secret"],
    )
    def test_a_secret_not_confirmed_is_discarded(self, engine: Engine, answer: CreatedWebhook | None) -> None:
        """A failed create, or an answer naming another webhook: the pending secret is gone, nothing verifies."""
        install = handshakes(engine)
        nonce = install.expect("123")
        handshake_arrives(engine, nonce)
        if answer is not None:
            answer = CreatedWebhook(answer.gid, answer.resource, answer.target.format(nonce=nonce), answer.secret)
        assert not install.confirm("123", answer)
        assert kept(engine) == []
        assert windows(engine) == 0

    def test_no_handshake_before_the_answer_keeps_nothing(self, engine: Engine) -> None:
        """A create that answered although no handshake with the nonce reached us keeps nothing."""
        install = handshakes(engine)
        nonce = install.expect("123")
        assert not install.confirm("123", CreatedWebhook("w-1", "123", TARGET + nonce, "hs-1"))
        assert kept(engine) == []

    def test_a_new_confirmed_secret_replaces_the_resource_s_old_one(self, engine: Engine) -> None:
        """Reinstalling a resource (its webhook replaced) leaves one secret: the new webhook's."""
        install = handshakes(engine)
        for gid, secret in (("w-1", "hs-1"), ("w-2", "hs-2")):
            nonce = install.expect("123")
            handshake_arrives(engine, nonce, secret)
            assert install.confirm("123", CreatedWebhook(gid, "123", TARGET + nonce, secret))
        assert kept(engine) == [("123", "hs-2", "w-2")]


class TestWindows:
    """Windows open per creation and close with it."""

    def test_a_reopened_window_refuses_the_old_nonce(self, engine: Engine) -> None:
        """Expecting again makes a fresh nonce; the previous one is worthless."""
        install = handshakes(engine)
        old = install.expect("123")
        install.expect("123")
        with pytest.raises(HandshakeUnexpected, match="syncd webhooks install"):
            handshake_arrives(engine, old)

    def test_closing_drops_the_windows_never_confirmed(self, engine: Engine) -> None:
        """An install that stopped between expect and confirm leaves no window (and no secret) behind."""
        install = handshakes(engine)
        nonce = install.expect("123")
        handshake_arrives(engine, nonce)
        install.close()
        assert windows(engine) == 0
        assert kept(engine) == []
