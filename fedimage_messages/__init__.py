"""Message schemas of fedimage on the Fedora message bus (fedora-messaging).

Registered through the `fedora.messages` entry point (pyproject.toml), so a consumer that
installs this package gets typed messages with a summary, a URL and the people and groups they
concern (what Fedora Notifications routes on). Each schema is versioned: a change that breaks a
body adds a `...V2` class beside the `V1` one, under the same topic.

Topics (Fedora's deployment prefixes them, e.g. `org.fedoraproject.prod.fedimage.blocker.new`):

    fedimage.blocker.new         a blocker was filed
    fedimage.blocker.update      a blocker changed (status, severity or anything else)
    fedimage.blocker.review      the weekly meeting decided on a blocker
    fedimage.milestone.status    a lead set (or re-confirmed) a milestone's status
    fedimage.migration.stage     a lead recorded a subproject's migration stage
    fedimage.image.unhealthy     a watched image tag turned unhealthy
    fedimage.image.recovered     a watched image tag is healthy again
    fedimage.meeting.minutes     a weekly meeting ended; its minutes are published
"""

from fedimage_messages.blocker import BlockerNewV1, BlockerReviewV1, BlockerUpdateV1
from fedimage_messages.image import ImageRecoveredV1, ImageUnhealthyV1
from fedimage_messages.initiative import MigrationStageV1, MilestoneStatusV1
from fedimage_messages.meeting import MeetingMinutesV1

__all__ = [
    "BlockerNewV1",
    "BlockerReviewV1",
    "BlockerUpdateV1",
    "ImageRecoveredV1",
    "ImageUnhealthyV1",
    "MeetingMinutesV1",
    "MigrationStageV1",
    "MilestoneStatusV1",
]

# Every class above, by the entry point name it is registered under (also the schema name
# fedora-messaging writes in each message's headers).
SCHEMAS = {
    "fedimage.blocker.new.v1": BlockerNewV1,
    "fedimage.blocker.update.v1": BlockerUpdateV1,
    "fedimage.blocker.review.v1": BlockerReviewV1,
    "fedimage.milestone.status.v1": MilestoneStatusV1,
    "fedimage.migration.stage.v1": MigrationStageV1,
    "fedimage.image.unhealthy.v1": ImageUnhealthyV1,
    "fedimage.image.recovered.v1": ImageRecoveredV1,
    "fedimage.meeting.minutes.v1": MeetingMinutesV1,
}
