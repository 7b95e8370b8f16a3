"""Tracked issues and tracker sources arrive with the tracker-sync work; the app is wired now."""
