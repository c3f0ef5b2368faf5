"""Quantive Results as an OKR store: each KR's progress is checked in on the Quantive key result it maps to."""
