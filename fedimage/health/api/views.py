"""Read-only API of image health: watched images with their tags, and every tag's state."""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from fedimage.health import selectors
from fedimage.health.api.serializers import (
    DigestRecordSerializer,
    StateChangeSerializer,
    TagStateSerializer,
    WatchedImageSerializer,
)
from fedimage.health.models import HealthState, TagState, WatchedImage


class WatchedImageFilter(django_filters.FilterSet):
    subproject = django_filters.CharFilter(field_name="subproject__key")
    milestone = django_filters.CharFilter(field_name="milestone__key")

    class Meta:
        model = WatchedImage
        fields = ["subproject", "milestone"]


class WatchedImageViewSet(viewsets.ReadOnlyModelViewSet):
    """Watched images, each with the current health of its tags."""

    serializer_class = WatchedImageSerializer
    lookup_field = "key"
    filterset_class = WatchedImageFilter
    search_fields = ["name", "repository"]
    ordering_fields = ["order", "key"]

    def get_queryset(self):
        return selectors.image_list()

    @extend_schema(responses=DigestRecordSerializer(many=True))
    @action(detail=True)
    def digests(self, request: Request, key: str | None = None) -> Response:
        """Digests each tag pointed at, newest first: the build cadence."""
        image = self.get_object()
        page = self.paginate_queryset(selectors.image_digest_history(image=image))
        return self.get_paginated_response(DigestRecordSerializer(page, many=True).data)

    @extend_schema(responses=StateChangeSerializer(many=True))
    @action(detail=True)
    def changes(self, request: Request, key: str | None = None) -> Response:
        """State changes of the image's tags, newest first."""
        image = self.get_object()
        page = self.paginate_queryset(selectors.image_change_history(image=image))
        return self.get_paginated_response(StateChangeSerializer(page, many=True).data)


class TagStateFilter(django_filters.FilterSet):
    image = django_filters.CharFilter(field_name="image__key")
    state = django_filters.MultipleChoiceFilter(choices=HealthState.choices)
    subproject = django_filters.CharFilter(field_name="image__subproject__key")
    milestone = django_filters.CharFilter(field_name="image__milestone__key")

    class Meta:
        model = TagState
        fields = ["image", "state", "subproject", "milestone"]


class TagStateViewSet(viewsets.ReadOnlyModelViewSet):
    """The health of every watched tag: state, reason in words, since when, build facts."""

    serializer_class = TagStateSerializer
    filterset_class = TagStateFilter
    ordering_fields = ["state_since", "checked_at", "built_at"]

    def get_queryset(self):
        return selectors.tag_list()
