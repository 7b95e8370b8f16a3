"""`{% upstream_issue blocker %}`: the live upstream state of a blocker's tracking issue."""

from django import template

from fedimage.initiative.models import AWAITING_FIX
from trackers.selectors import tracked_issue_for_url

register = template.Library()


@register.inclusion_tag("trackers/_upstream_state.html", takes_context=True)
def upstream_issue(context, blocker):
    """Render the tracked issue the blocker's tracking_url points at (nothing if not held)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    url = blocker.tracking_url
    tracked = tracked_issue_for_url(url, user=user) if url else None
    # blockers_with_flags computed the flag in SQL: use it, so the page and the lists agree.
    fixed = getattr(blocker, "upstream_fixed", None)
    if fixed is None:
        fixed = bool(
            tracked
            and not tracked.is_open
            and not tracked.removed
            and not tracked.moved_to
            and blocker.status in AWAITING_FIX
        )
    return {"tracked": tracked, "fixed_upstream": fixed}
