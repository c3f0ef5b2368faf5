"""The HTTP side: webhook ingest, health, metrics and the read API (ASGI)."""
