"""Neutral infrastructure every app may import: it imports no app of fedimage."""
