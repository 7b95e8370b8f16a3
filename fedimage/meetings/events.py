"""Domain events of meetings, for the apps above or beside it (notifications subscribes).

Sent by the services INSIDE their transaction; receivers only write rows in it and queue
anything remote with `transaction.on_commit` (see fedimage.initiative.events).
"""

from django.dispatch import Signal

# item: the open ActionItem now due; today: the day of the scan (its due date or later).
action_item_due = Signal()
# review: the BlockerReview just decided (state, reason, decided_at_meeting, decided_by set);
# user: the lead who recorded the decision.
blocker_reviewed = Signal()
# item: the ActionItem just given to someone (created, or reassigned: previous_owner is who
# had it, None for a new item); user: the lead who assigned it.
action_item_assigned = Signal()
