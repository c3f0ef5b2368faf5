"""The OKR model (core views and matching rules) of the config in force, built once per loaded config."""

from __future__ import annotations

from syncd.config.views import OkrModel, build_okr
from syncd.runtime.context import LoadedConfig


class OkrCache:
    """Holds `build_okr(config)` for the last `LoadedConfig` seen; a reload (a new object) rebuilds it."""

    def __init__(self) -> None:
        self._loaded: LoadedConfig | None = None
        self._model: OkrModel | None = None

    def model(self, loaded: LoadedConfig) -> OkrModel:
        """The OKR model of `loaded`."""
        if self._model is None or self._loaded is not loaded:
            self._model = build_okr(loaded.config)
            self._loaded = loaded
        return self._model
