"""The long-running daemon's work, one folder per pipeline stage and their composition at the top.

Stages, in the order a change travels: `ingest` (webhooks into the inbox), `apply` (deliveries into the
mirror), `recompute` (progress, objectives, desired push state), `push` (desired state into the trackers)
and `poll` (the trackers read on a schedule, into the mirror). Stages do not import one another (an
import-linter contract keeps it so); they meet here: `worker` (apply then recompute), `reload`, `backfill`
(`syncd sync --once`), `dry_run` (`syncd plan`), `task_report` (`syncd explain`), and what every stage
shares: `context` (`Runtime`), `okr_cache`, `loops`, `holds`, `request_watch`, `metrics`, `queues`.
"""
