"""Push: the desired state of each push target written into its tracker or OKR store, paced per destination.

Level-triggered: the pusher (`pusher`) claims due targets under the lease `push:<name>`, waits for the
destination's write pace and any Retry-After hold, and calls `adapter.apply`; `write_preview` says in words
what such writes would change and what budget they need (for `syncd plan` and `syncd sync --once`).
Inputs: `push_targets` whose desired content differs from what was applied. Outputs: tracker writes
(comments, fields, goals, check-ins, events) and each target's applied content and outcome in the store.
"""
