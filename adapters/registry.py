"""The one place that lists the trackers: a new adapter is a new folder plus one line here.

It sits above the config layer: the config layer never names a tracker, and gets the source models from
here (`config_model`, `load_config`).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from pathlib import Path

from adapters.asana.config import AsanaSourceConfig
from adapters.github.config import GitHubSourceConfig
from syncd.config import loader
from syncd.config.models import SyncdConfig
from syncd.config.models import config_model as config_model_of
from syncd.config.source import SourceConfig
from syncd.ports import RequestObserver, SourceAdapter, ignore_request

#: Every tracker's source config model, in the order the schema and the reference list them.
SOURCE_MODELS: tuple[type[SourceConfig], ...] = (GitHubSourceConfig, AsanaSourceConfig)

#: kind -> module path of the package whose `adapter.build_adapter(config)` builds it. Imported lazily
#: so that loading a config never imports an SDK.
ADAPTER_MODULES: dict[str, str] = {
    "github": "adapters.github.adapter",
    "asana": "adapters.asana.adapter",
}


def config_model() -> type[SyncdConfig]:
    """The `SyncdConfig` that accepts a source of every registered tracker."""
    return config_model_of(SOURCE_MODELS)


def load_config(path: Path, environ: Mapping[str, str] | None = None) -> SyncdConfig:
    """Read, resolve and validate the config at `path` with every registered tracker (see `loader.load_config`)."""
    return loader.load_config(path, environ, model=config_model())


def build_adapter(config: SourceConfig, observer: RequestObserver = ignore_request) -> SourceAdapter:
    """Build the adapter for one source config (imports that tracker's SDK only now); `observer` is told of
    every request it makes."""
    module = importlib.import_module(ADAPTER_MODULES[config.kind])
    adapter: SourceAdapter = module.build_adapter(config, observer)
    return adapter
