"""Metrics sources, pricing and per-candidate summaries."""
