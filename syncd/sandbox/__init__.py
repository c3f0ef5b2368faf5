"""`syncd sandbox`: simulated trackers, a seeded company and a story, for a first run."""
