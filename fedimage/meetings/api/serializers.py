"""API representations of meetings, action items and blocker reviews (read-only)."""

from __future__ import annotations

from rest_framework import serializers

from fedimage.meetings.agenda import Item
from fedimage.meetings.models import ActionItem, BlockerReview, Decision, Meeting, Vote


class VoteSerializer(serializers.ModelSerializer):
    voter = serializers.CharField(source="voter.get_username", read_only=True)

    class Meta:
        model = Vote
        fields = ["voter", "value", "comment", "cast_at"]


class ReviewSerializer(serializers.ModelSerializer):
    """A blocker's review: its state, the decision and the named votes."""

    blocker = serializers.IntegerField(source="blocker_id", read_only=True)
    blocker_title = serializers.CharField(source="blocker.title", read_only=True)
    decided_at_meeting = serializers.PrimaryKeyRelatedField(read_only=True)
    decided_by = serializers.CharField(
        source="decided_by.get_username", read_only=True, default=None
    )
    votes = VoteSerializer(many=True, read_only=True)
    score = serializers.SerializerMethodField()

    class Meta:
        model = BlockerReview
        fields = [
            "blocker",
            "blocker_title",
            "state",
            "justification",
            "decision_reason",
            "decided_at_meeting",
            "decided_by",
            "decided_at",
            "score",
            "votes",
        ]

    def get_score(self, review: BlockerReview) -> int:
        return sum(v.value for v in review.votes.all())


class ActionItemSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.get_username", read_only=True)
    is_overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = ActionItem
        fields = [
            "id",
            "meeting",
            "owner",
            "text",
            "due_date",
            "status",
            "is_overdue",
            "created_at",
            "closed_at",
        ]


class DecisionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Decision
        fields = ["text", "blocker", "recorded_at"]


class MeetingSerializer(serializers.ModelSerializer):
    chair = serializers.CharField(source="chair.get_username", read_only=True, default=None)
    attendees = serializers.SerializerMethodField()
    ends_at = serializers.DateTimeField(read_only=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = Meeting
        fields = [
            "id",
            "title",
            "starts_at",
            "ends_at",
            "duration_minutes",
            "location",
            "chair",
            "attendees",
            "url",
        ]

    def get_attendees(self, meeting: Meeting) -> list[str]:
        return sorted(u.get_username() for u in meeting.attendees.all())

    def get_url(self, meeting: Meeting) -> str:
        request = self.context.get("request")
        path = meeting.get_absolute_url()
        return request.build_absolute_uri(path) if request else path


class AgendaItemSerializer(serializers.Serializer):
    label = serializers.CharField()
    words = serializers.CharField()
    url = serializers.CharField()


def _changed_back(item: Item) -> dict:
    return {"label": item.label, "words": item.back_words, "url": item.url}


class AgendaSectionSerializer(serializers.Serializer):
    key = serializers.CharField()
    heading = serializers.CharField()
    count = serializers.IntegerField()
    items = AgendaItemSerializer(many=True)


class AgendaSerializer(serializers.Serializer):
    since = serializers.DateTimeField()
    until = serializers.DateTimeField()
    previous_meeting = serializers.IntegerField(allow_null=True)
    sections = AgendaSectionSerializer(many=True)


class MeetingDetailSerializer(MeetingSerializer):
    """A meeting with its computed agenda, decisions, action items and blocker reviews."""

    notes = serializers.CharField(read_only=True)
    agenda = serializers.SerializerMethodField()
    decisions = serializers.SerializerMethodField()
    action_items = serializers.SerializerMethodField()
    reviews = serializers.SerializerMethodField()

    class Meta(MeetingSerializer.Meta):
        fields = [
            *MeetingSerializer.Meta.fields,
            "notes",
            "agenda",
            "decisions",
            "action_items",
            "reviews",
        ]

    def _extra(self, name: str):
        return self.context["extra"][name]

    def get_agenda(self, meeting: Meeting) -> dict:
        agenda = self._extra("agenda")
        data = {
            "since": agenda.since,
            "until": agenda.until,
            "previous_meeting": agenda.previous.pk if agenda.previous else None,
            "sections": [
                {
                    "key": key,
                    "heading": heading,
                    "count": len(items),
                    "items": [_changed_back(i) for i in items] if key == "changed-back" else items,
                }
                for key, heading, items in agenda.sections()
            ],
        }
        return AgendaSerializer(data).data

    def get_decisions(self, meeting: Meeting) -> list[dict]:
        return DecisionSerializer(self._extra("decisions"), many=True).data

    def get_action_items(self, meeting: Meeting) -> list[dict]:
        return ActionItemSerializer(self._extra("action_items"), many=True).data

    def get_reviews(self, meeting: Meeting) -> list[dict]:
        return [
            {
                "blocker": tally.blocker.pk,
                "blocker_title": tally.blocker.title,
                "state": tally.state,
                "justification": tally.justification,
                "score": tally.score,
                "votes": VoteSerializer(tally.votes, many=True).data,
                "not_voted": [u.get_username() for u in tally.not_voted],
            }
            for tally in self._extra("tallies")
        ]
