"""The ASGI app factory: webhook ingest and operations routes on a FastAPI app.

The webhook and operations routes are plain Starlette routes (no dependency injection on the hot
path); FastAPI is there for the `/api/v1` read API, which registers its routers on the same app.
Nothing is built on import: the daemon (or a test) calls `create_app(runtime)`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from syncd import __version__
from syncd.runtime.context import Runtime
from syncd.runtime.ingest.delivery_writer import DeliveryWriter
from syncd.web.api import ApiGate, api_router
from syncd.web.dashboard.routes import Dashboard
from syncd.web.ops import OpsEndpoints, ReadinessPolicy
from syncd.web.webhooks import WebhookEndpoint


def create_app(
    runtime: Runtime,
    *,
    writer: DeliveryWriter | None = None,
    webhooks: bool = True,
    readiness: ReadinessPolicy | None = None,
    ingest_timeout: float = 5.0,
) -> FastAPI:
    """Build the app for `runtime`. Without `writer`, one is made (and closed by the app's lifespan).

    `ingest_timeout` bounds how long a delivery waits for its commit before a 503 (a given `writer` has
    its own `confirm_within`). `webhooks=False` serves only the operations routes (worker and scheduler
    roles keep their probes)."""
    owned = writer is None and webhooks
    if webhooks and writer is None:
        writer = DeliveryWriter(runtime.engine, confirm_within=ingest_timeout, on_stored=runtime.deliveries_waiting.set)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        if owned and writer is not None:
            writer.close()

    app = FastAPI(
        title="syncd", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None
    )
    app.state.runtime = runtime
    app.state.writer = writer
    ops = OpsEndpoints(runtime, writer if webhooks else None, readiness or ReadinessPolicy())
    app.router.add_route("/healthz", ops.healthz, methods=["GET"], include_in_schema=False)
    app.router.add_route("/readyz", ops.readyz, methods=["GET"], include_in_schema=False)
    app.router.add_route("/metrics", ops.metrics, methods=["GET"], include_in_schema=False)
    if webhooks and writer is not None:
        endpoint = WebhookEndpoint(runtime, writer, ingest_timeout=ingest_timeout)
        app.state.webhooks = endpoint
        app.router.routes.append(Route("/webhooks/{source}", endpoint, methods=["POST"], include_in_schema=False))
        app.include_router(api_router())  # the /api/v1 read API is served by the web role
        app.router.routes.extend(Dashboard(runtime).routes())  # so is the dashboard (a 404 until configured)
        app.add_middleware(ApiGate, runtime=runtime)  # authenticate before anything parses a request
    return app


class WebhookFastPath:
    """ASGI front that sends `POST /webhooks/<source>` straight to the webhook endpoint, skipping the FastAPI
    middleware stack (error pages, telemetry, exit stacks) and Starlette's route matching that the hot path does
    not need; everything else (another method: 405, a deeper path: 404) goes to the app. Serve this, not the
    app, when throughput matters (the daemon does)."""

    _PREFIX = "/webhooks/"

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self._endpoint: WebhookEndpoint | None = getattr(app.state, "webhooks", None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Dispatch one ASGI call."""
        endpoint = self._endpoint
        if (
            endpoint is not None
            and scope["type"] == "http"
            and scope["method"] == "POST"
            and not scope.get("root_path")
        ):
            path: str = scope["path"]
            if path.startswith(self._PREFIX):
                source = path[len(self._PREFIX) :]
                if source and "/" not in source:  # what the route's `{source}` matches
                    scope["path_params"] = {"source": source}
                    scope["endpoint"] = endpoint
                    await endpoint(scope, receive, send)
                    return
        await self.app(scope, receive, send)
