"""Causette: real-time anonymous chat with safety built into every message path."""
