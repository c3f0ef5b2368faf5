"""Apply: stored webhook deliveries applied to the mirror, in id order, each exactly once.

`deliveries` claims a batch of pending deliveries (one transaction), interprets each with its source's
adapter (pure), upserts the task snapshots (newer wins), marks removed tasks deleted and queues refetches
and reconciliations; a delivery that cannot be applied is retried with backoff, then kept as `failed`.
Inputs: the inbox (`deliveries` rows the ingest stage committed) and the OKR model of the config in force.
Outputs: the mirror's tasks and links, dirty marks for the recompute stage, refresh requests for the poll stage.
"""
