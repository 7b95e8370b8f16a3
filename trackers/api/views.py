"""Read-only REST API of the trackers app; reads go through the selectors."""

import django_filters
from rest_framework import viewsets

from fedimage.core.rest import IsoDateTimeFilter
from trackers import selectors
from trackers.api.serializers import (
    SyncRunSerializer,
    TrackedIssueSerializer,
    TrackerSourceSerializer,
)
from trackers.models import IssueState, RunStatus, TrackerKind


class TrackerSourceViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = TrackerSourceSerializer
    lookup_field = "name"
    filterset_fields = ["kind", "enabled", "upstream"]
    search_fields = ["name", "project"]
    ordering_fields = ["name", "last_success_at"]

    def get_queryset(self):
        return selectors.source_list()


class TrackedIssueFilter(django_filters.FilterSet):
    source = django_filters.CharFilter(field_name="source__name")
    kind = django_filters.ChoiceFilter(field_name="source__kind", choices=TrackerKind.choices)
    state = django_filters.ChoiceFilter(choices=IssueState.choices)
    label = django_filters.CharFilter(method="filter_label")
    project = django_filters.CharFilter()
    board_column = django_filters.CharFilter()
    upstream = django_filters.BooleanFilter(field_name="source__upstream")
    removed = django_filters.BooleanFilter()
    updated_after = IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    def filter_label(self, queryset, name, value):
        return queryset.filter(label_index__contains=f"\n{value}\n")


class TrackedIssueViewSet(viewsets.ReadOnlyModelViewSet):
    """Tracked issues; removed ones only with ?removed=true; confidential ones need sign-in."""

    serializer_class = TrackedIssueSerializer
    filterset_class = TrackedIssueFilter
    search_fields = ["title"]
    ordering_fields = ["updated_at", "created_at", "number"]

    def get_queryset(self):
        removed = self.request.query_params.get("removed", "").lower() in ("true", "1")
        return selectors.issue_list(user=self.request.user, filters={"removed": removed})


class SyncRunFilter(django_filters.FilterSet):
    source = django_filters.CharFilter(field_name="source__name")
    status = django_filters.ChoiceFilter(choices=RunStatus.choices)


class SyncRunViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = SyncRunSerializer
    filterset_class = SyncRunFilter
    ordering_fields = ["started_at"]

    def get_queryset(self):
        return selectors.run_list()
