"""Read-only REST API of meetings, their action items and the blocker reviews."""

from __future__ import annotations

import django_filters
from rest_framework import viewsets
from rest_framework.response import Response

from fedimage.meetings import selectors
from fedimage.meetings.agenda import agenda_for
from fedimage.meetings.api.serializers import (
    ActionItemSerializer,
    MeetingDetailSerializer,
    MeetingSerializer,
    ReviewSerializer,
)
from fedimage.meetings.models import ActionItem, ActionStatus, BlockerReview, ReviewState


class MeetingViewSet(viewsets.ReadOnlyModelViewSet):
    """Meetings, latest first; one meeting with its agenda, decisions, actions and reviews."""

    lookup_value_regex = r"\d+"
    ordering_fields = ["starts_at"]

    def get_queryset(self):
        return selectors.meeting_list(attendees=True)

    def get_serializer_class(self):
        return MeetingDetailSerializer if self.action == "retrieve" else MeetingSerializer

    def retrieve(self, request, *args, **kwargs) -> Response:
        meeting = self.get_object()
        user = request.user
        agenda = agenda_for(meeting, user=user)
        extra = {
            "agenda": agenda,
            "decisions": selectors.decisions_of(meeting=meeting, user=user),
            "action_items": selectors.action_items_for(meeting=meeting, since=agenda.since),
            "tallies": selectors.reviews_for_meeting(meeting=meeting, user=user),
        }
        context = {**self.get_serializer_context(), "extra": extra}
        return Response(MeetingDetailSerializer(meeting, context=context).data)


class ActionItemFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ActionStatus.choices)
    owner = django_filters.CharFilter(field_name="owner__username")

    class Meta:
        model = ActionItem
        fields = ["status", "owner", "meeting"]


class ActionItemViewSet(viewsets.ReadOnlyModelViewSet):
    """Action items of every meeting; filter by status, owner (username) or meeting."""

    serializer_class = ActionItemSerializer
    filterset_class = ActionItemFilter
    ordering_fields = ["due_date", "created_at"]
    search_fields = ["text"]

    def get_queryset(self):
        return selectors.action_item_list()


class ReviewFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=ReviewState.choices)

    class Meta:
        model = BlockerReview
        fields = ["state", "decided_at_meeting"]


class ReviewViewSet(viewsets.ReadOnlyModelViewSet):
    """Blocker reviews with their named votes, by blocker id; private blockers need sign-in."""

    serializer_class = ReviewSerializer
    filterset_class = ReviewFilter
    lookup_field = "blocker"
    ordering_fields = ["decided_at"]

    def get_queryset(self):
        return selectors.review_list(user=self.request.user)
