"""The simulator toolkit: everything a simulated tracker shares, so a tracker's simulator is its state and routes.

Assembling a new tracker's simulator (`syncd/simulators/<tracker>/`):

1. **State**: plain records and the operations people do to them (create, close, label, comment), each
   emitting the tracker's webhook events. This is the tracker's own code.
2. **Routes**: handlers answering the tracker's API paths in its JSON shapes, paging with `paging`
   (`numbered_page` + `link_header` for REST with a Link header, `offset_page` tokens, `cursor_page` for
   GraphQL connections; `PageTokenError` becomes the tracker's 400).
3. **Pipeline**: one Starlette endpoint per route group that logs each request into a `RequestLog` of the
   tracker's record type (mix in `QueryParameters`), asks `faults.decide(method, path)` once, and renders the
   rule it gets in the tracker's error shape (`slow`: sleep; `hold`: `await rule.gate.passage()`; 429 with
   Retry-After; 5xx; `echo_credentials`). `faults` is a `FaultKnobs` (subclass it to add the tracker's own
   kinds or names); budgets and write limits use `SlidingWindow`.
4. **Webhooks**: pick signers (`hmac_signer(header, prefix=, digest=)`, `token_signer(header)`), post with a
   `WebhookPoster` (records each `PostAnswer`, `drop_next(n)` loses deliveries on purpose) and queue
   deliveries on a `DeliveryQueue` (ordered, background thread, optional retries), or post batches on demand.
5. **Serving**: the simulator class subclasses `Served` and runs its app on a `BackgroundServer` (127.0.0.1,
   a free port), exposing `start()`/`stop()`, `faults`, `requests`, `add_webhook_target` or its equivalent.
6. **Conformance** (tests only; needs the `dev` extra): `openapi.OpenApiChecker` judges logged requests and
   kept responses against the tracker's OpenAPI description, `graphql.GraphQLChecker` judges queries and
   variables against its SDL schema; both read `../shared/vendor-data/` and the tests skip when it is absent.

This package imports neither checker, so the sandbox runs without openapi-core or graphql-core.
"""

from __future__ import annotations

from syncd.simulators.kit.fault_knobs import FaultKnobs
from syncd.simulators.kit.faults import FaultPlan, FaultRule, RequestGate
from syncd.simulators.kit.paging import PageTokenError, cursor_page, link_header, numbered_page, offset_page
from syncd.simulators.kit.rate_window import SlidingWindow
from syncd.simulators.kit.request_log import QueryParameters, RequestLog
from syncd.simulators.kit.server import BackgroundServer, Served
from syncd.simulators.kit.webhooks import DeliveryQueue, PostAnswer, WebhookPoster, hmac_signer, token_signer

__all__ = [
    "BackgroundServer",
    "DeliveryQueue",
    "FaultKnobs",
    "FaultPlan",
    "FaultRule",
    "PageTokenError",
    "PostAnswer",
    "QueryParameters",
    "RequestGate",
    "RequestLog",
    "Served",
    "SlidingWindow",
    "WebhookPoster",
    "cursor_page",
    "hmac_signer",
    "link_header",
    "numbered_page",
    "offset_page",
    "token_signer",
]
