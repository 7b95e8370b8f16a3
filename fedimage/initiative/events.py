"""Domain events of the initiative, for the apps above it (notifications subscribes).

Sent by the services INSIDE their transaction: a receiver writes its rows (an outbox) in that
same transaction, so they commit or roll back with the change, and queues anything remote with
`transaction.on_commit`. Receivers never do I/O themselves.
"""

from django.dispatch import Signal

# blocker: the Blocker just filed.
blocker_filed = Signal()
# blocker: the Blocker as saved; old_status, old_severity: its values before the change;
# user: who changed it.
blocker_changed = Signal()
# milestone: the Milestone as saved (set or re-confirmed); old_status: its status before;
# user: the lead who set it.
milestone_status_set = Signal()
# migration: the Migration as saved (set or re-confirmed); old_stage: its stage before;
# user: the lead who recorded it.
migration_stage_set = Signal()
# milestone: the Milestone as saved with a new target date or owner; old_target_date,
# old_owner: its values before; user: the lead who changed them.
milestone_plan_changed = Signal()
