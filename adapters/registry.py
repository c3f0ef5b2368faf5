"""The one place that lists the trackers: a new adapter is a new folder plus one line here."""

from __future__ import annotations

from adapters.asana.config import AsanaSourceConfig
from adapters.github.config import GitHubSourceConfig

SourceConfigUnion = GitHubSourceConfig | AsanaSourceConfig

#: kind -> module path of the package whose `adapter.build_adapter(config)` builds it. Imported lazily
#: so that loading a config never imports an SDK.
ADAPTER_MODULES: dict[str, str] = {
    "github": "adapters.github.adapter",
    "asana": "adapters.asana.adapter",
}
