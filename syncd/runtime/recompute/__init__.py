"""Recompute: dirty KRs and tasks get fresh progress, their objectives, check-ins and desired push state.

`dirty` runs the batches (one transaction each, under the rollup lock): claims dirty KRs, computes their
progress with the core over the mirror (`progress_book`), records a check-in when it moved and which tasks
joined or left its scope (`scope`), rolls objectives up, and renders what every push target should say
(`desired`). `checkins` takes a metric check-in reported by hand and recomputes its KR at once.
Inputs: dirty marks on KRs and tasks, the mirror, the OKR model of the config in force, check-ins.
Outputs: KR and objective progress and history in the store, and desired content on `push_targets`.
"""
