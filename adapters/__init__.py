"""Tracker adapters: one package per tracker, all implementing `syncd.ports.SourceAdapter`."""
