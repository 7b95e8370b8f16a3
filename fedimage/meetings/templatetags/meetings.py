"""`{% blocker_review blocker %}`: a blocker's review state, its votes, and the vote form."""

from django import template

from fedimage.core.permissions import allowed
from fedimage.meetings.selectors import review_tally

register = template.Library()


@register.inclusion_tag("meetings/_blocker_review.html", takes_context=True)
def blocker_review(context, blocker):
    """Render the review panel of a blocker page; signed-in members vote from it."""
    request = context["request"]
    tally = review_tally(blocker=blocker)
    return {
        "blocker": blocker,
        "tally": tally,
        "my_vote": tally.vote_of(request.user),
        "can_justify": allowed(request.user, "meetings.justify", blocker),
        "next": request.path,
        "request": request,
        "user": request.user,
        "csrf_token": context.get("csrf_token"),
    }
