"""Self-contained HTML reports with inline SVG charts (no JavaScript, no network)."""
