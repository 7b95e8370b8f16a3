"""Reports to share, charts over time and feeds: read-only, built from every app below."""
