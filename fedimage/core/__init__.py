"""Neutral infrastructure every app may use (locks, the Celery task base, the task outbox,
Retry-After parsing, duration wording); it imports no app of fedimage."""
