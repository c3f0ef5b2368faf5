"""The one place that lists the trackers: a new adapter is a new folder plus one line here."""

from __future__ import annotations

import importlib

from adapters.asana.config import AsanaSourceConfig
from adapters.github.config import GitHubSourceConfig
from syncd.ports import RequestObserver, SourceAdapter, ignore_request

SourceConfigUnion = GitHubSourceConfig | AsanaSourceConfig

#: kind -> module path of the package whose `adapter.build_adapter(config)` builds it. Imported lazily
#: so that loading a config never imports an SDK.
ADAPTER_MODULES: dict[str, str] = {
    "github": "adapters.github.adapter",
    "asana": "adapters.asana.adapter",
}


def build_adapter(config: SourceConfigUnion, observer: RequestObserver = ignore_request) -> SourceAdapter:
    """Build the adapter for one source config (imports that tracker's SDK only now); `observer` is told of
    every request it makes."""
    module = importlib.import_module(ADAPTER_MODULES[config.kind])
    adapter: SourceAdapter = module.build_adapter(config, observer)
    return adapter
