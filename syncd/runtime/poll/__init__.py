"""Poll: the trackers read on a schedule, for what webhooks miss or never send.

One coordinator per source (`scheduler`), under the lease `poll:<source>`: a full reconciliation of each
partition every `reconcile_interval`, an incremental poll every `poll_interval`, and the debounced refresh
requests the other stages queue. Inputs: each source's adapter (tracker reads), its bookmarks, the refresh
requests. Outputs: task snapshots saved into the mirror with their bookmark in one transaction, and each
source's health in `source_state` (`source_health`), logged once per change.
"""
