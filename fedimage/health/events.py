"""Domain events of image health, for the apps above it (notifications subscribes).

Sent by the services INSIDE their transaction; receivers only write rows in it and queue
anything remote with `transaction.on_commit` (see fedimage.initiative.events).
"""

from django.dispatch import Signal

# state: the TagState just checked (not yet saved); was_unhealthy: whether it was in an
# incident before this check (its `unhealthy_since` was set). Sent for every tag whose poll
# changed something (digest, state, signature, blocker); tags confirmed unchanged in bulk send
# none, as nothing about their incident can have changed.
tag_checked = Signal()
