"""The simulator toolkit: what every simulated tracker shares (server, request log, fault rules, rate windows)."""
