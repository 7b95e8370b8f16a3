"""CI verdicts on a tag's digest, as the app that reads test runs reports them (fedimage.ci).

Health does not read test results itself; it keeps the latest verdict on the tag so the grid,
the image page, the API and the reports show "built, tested" side by side. A verdict on a
digest the tag no longer points at is kept but shown as about an older build.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from fedimage.health.models import TagState

VERDICTS = ("passed", "failed", "")


@transaction.atomic
def tag_tests_record(
    *,
    tag_state_id: int,
    digest: str,
    verdict: str,
    words: str,
    url: str = "",
    run_at: datetime | None = None,
) -> bool:
    """Record CI's verdict on a tag's digest; return whether anything changed."""
    if verdict not in VERDICTS:
        raise ValueError(f"verdict must be one of {VERDICTS}, not {verdict!r}")
    state = TagState.objects.select_for_update().filter(pk=tag_state_id).first()
    if state is None:
        return False
    values = {
        "test_verdict": verdict,
        "test_words": words[:300],
        "test_url": url[:1000],
        "test_digest": digest[:200],
        "test_run_at": run_at,
    }
    changed = [name for name, value in values.items() if getattr(state, name) != value]
    if not changed:
        return False
    for name in changed:
        setattr(state, name, values[name])
    state.save(update_fields=changed)
    return True
