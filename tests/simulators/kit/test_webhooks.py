"""The kit's webhook sending: pluggable signers, a poster that records answers and drops on demand, and an
ordered delivery queue that retries what the receiver refused."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from syncd.simulators.kit.server import BackgroundServer
from syncd.simulators.kit.webhooks import DeliveryQueue, WebhookPoster, hmac_signer, signature_headers, token_signer


class Receiver:
    """A webhook receiver that refuses the first `refuse` posts with 503 and keeps every body and header."""

    def __init__(self, refuse: int = 0) -> None:
        self.refuse = refuse
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.server = BackgroundServer(Starlette(routes=[Route("/hook", self._hook, methods=["POST"])]))

    async def _hook(self, request: Request) -> Response:
        self.received.append((dict(request.headers), await request.body()))
        if self.refuse > 0:
            self.refuse -= 1
            return Response(status_code=503)
        return Response(status_code=204, headers={"x-seen": str(len(self.received))})

    @property
    def url(self) -> str:
        """Where to post."""
        return f"{self.server.url}/hook"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A running receiver that accepts everything."""
    running = Receiver()
    with running.server:
        yield running


class TestSigners:
    """Signing strategies are functions of (secret, body) that a tracker picks."""

    def test_hmac_signers_match_an_independent_hmac_in_each_trackers_format(self) -> None:
        """GitHub's `sha256=<hex>` and sha1 headers, Asana's bare hex: each equals hmac computed here."""
        body = b'{"action":"opened"}'
        github = [
            hmac_signer("X-Hub-Signature-256", prefix="sha256="),
            hmac_signer("X-Hub-Signature", prefix="sha1=", digest="sha1"),
        ]
        assert signature_headers(github, "s3cret", body) == {
            "X-Hub-Signature-256": "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest(),
            "X-Hub-Signature": "sha1=" + hmac.new(b"s3cret", body, hashlib.sha1).hexdigest(),
        }
        assert hmac_signer("X-Hook-Signature")("k", body) == {
            "X-Hook-Signature": hmac.new(b"k", body, hashlib.sha256).hexdigest()
        }

    def test_a_token_signer_sends_the_shared_token_and_no_secret_sends_nothing(self) -> None:
        """A shared-token tracker's header carries the token; without a secret there is no signature at all."""
        assert token_signer("X-Gitlab-Token")("tok", b"{}") == {"X-Gitlab-Token": "tok"}
        assert signature_headers([hmac_signer("X-Sig")], None, b"{}") == {}


class TestPoster:
    """Posts carry the signature, answers are recorded, and drops lose posts without sending them."""

    def test_a_signed_post_arrives_and_its_answer_is_kept(self, receiver: Receiver) -> None:
        """The receiver sees the signature header; the answer's status and headers come back."""
        poster = WebhookPoster([hmac_signer("X-Sig")])
        try:
            headers = poster.signed("k", b"{}", {"Content-Type": "application/json"})
            answer = poster.post(receiver.url, b"{}", headers)
        finally:
            poster.close()
        assert (answer.status, answer.accepted, answer.headers["X-Seen"]) == (204, True, "1")
        assert receiver.received[0][0]["x-sig"] == hmac.new(b"k", b"{}", hashlib.sha256).hexdigest()

    def test_dropped_posts_never_arrive_and_an_unreachable_receiver_is_an_error_not_a_crash(
        self, receiver: Receiver
    ) -> None:
        """`drop_next(1)` loses one post (a handshake may not be dropped); a closed port answers no status."""
        poster = WebhookPoster(timeout=2.0)
        try:
            poster.drop_next(1)
            handshake = poster.post(receiver.url, b"", {}, may_drop=False)
            lost = poster.post(receiver.url, b"lost", {})
            sent = poster.post(receiver.url, b"sent", {})
            unreachable = poster.post("http://127.0.0.1:9/hook", b"", {})
        finally:
            poster.close()
        assert (handshake.status, lost.dropped, lost.status, sent.status) == (204, True, None, 204)
        assert [body for _, body in receiver.received] == [b"", b"sent"]
        assert unreachable.status is None
        assert unreachable.error is not None


class TestDeliveryQueue:
    """Jobs are sent in order from one thread; a refused job is tried again up to `retries` times."""

    def test_a_refused_delivery_is_retried_before_the_next_one_and_order_is_kept(self) -> None:
        """The receiver refuses twice: job 1 arrives on its third attempt, then job 2 once."""
        receiver = Receiver(refuse=2)
        poster = WebhookPoster()
        attempts: list[int] = []

        def send(job: int) -> bool:
            attempts.append(job)
            return poster.post(receiver.url, str(job).encode(), {}).accepted

        deliveries: DeliveryQueue[int] = DeliveryQueue(send, name="test-webhooks", retries=2, retry_delay=0.01)
        with receiver.server:
            deliveries.start()
            deliveries.put(1)
            deliveries.put(2)
            assert deliveries.wait_idle(10)
            deliveries.stop()
        poster.close()
        assert attempts == [1, 1, 1, 2]
        assert [body for _, body in receiver.received] == [b"1", b"1", b"1", b"2"]

    def test_without_retries_a_refused_delivery_is_sent_once(self) -> None:
        """retries=0 (GitHub's way): one attempt per job, whatever the answer."""
        attempts: list[str] = []
        deliveries: DeliveryQueue[str] = DeliveryQueue(lambda job: attempts.append(job) is not None, name="t")
        deliveries.start()
        deliveries.put("a")
        assert deliveries.wait_idle(5)
        deliveries.stop()
        assert attempts == ["a"]
