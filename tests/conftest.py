"""Fixtures every test layer shares: vendor data, PostgreSQL URL, environment isolation."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
VENDOR_DATA = REPO.parent / "shared" / "vendor-data"
POSTGRES_ENV = "SYNCD_TEST_POSTGRES_URL"


@pytest.fixture(scope="session")
def vendor_data() -> Path:
    """`../shared/vendor-data` (real payloads and API descriptions); skip when it is absent."""
    if not VENDOR_DATA.is_dir():
        pytest.skip(f"vendor data not found at {VENDOR_DATA} (it lives beside the checkout in shared/)")
    return VENDOR_DATA


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The PostgreSQL test URL from SYNCD_TEST_POSTGRES_URL; skip with the reason when it is unset."""
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.skip(f"{POSTGRES_ENV} is not set (.ci/run sets it to the local PostgreSQL)")
    return url


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the developer's own syncd config or database by accident."""
    monkeypatch.delenv("SYNCD_CONFIG", raising=False)
    monkeypatch.delenv("SYNCD_DATABASE_URL", raising=False)
