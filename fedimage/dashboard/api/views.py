"""REST API viewsets: reads through selectors, writes through services."""

import uuid

import django_filters
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from fedimage.core.permissions import Rules
from fedimage.dashboard.api.serializers import (
    BlockerCreateSerializer,
    BlockerInputSerializer,
    BlockerSerializer,
    MigrationSerializer,
    MigrationStageInputSerializer,
    MilestoneSerializer,
    MilestoneStatusInputSerializer,
    ReleaseSerializer,
    SubprojectSerializer,
)
from fedimage.initiative import selectors, services
from fedimage.initiative.models import (
    Blocker,
    BlockerStatus,
    Category,
    Migration,
    Milestone,
    MilestoneStatus,
    ReviewState,
    Severity,
    Stage,
)
from trackers import selectors as tracker_selectors

IDEMPOTENCY_KEYS = uuid.UUID("6f1c6c1e-3b52-4f0e-9a55-2f0a3c1d7e01")  # namespace of API keys


class ReleaseViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = selectors.release_queryset()
    serializer_class = ReleaseSerializer
    lookup_field = "key"
    filterset_fields = ["key"]
    ordering_fields = ["order", "final_target"]


class MilestoneFilter(django_filters.FilterSet):
    release = django_filters.CharFilter(field_name="release__key")
    status = django_filters.ChoiceFilter(choices=MilestoneStatus.choices)

    class Meta:
        model = Milestone
        fields = ["release", "status", "stretch"]


class MilestoneViewSet(mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Milestones with progress derived from their linked work. Leads PATCH status and note."""

    serializer_class = MilestoneSerializer
    lookup_field = "key"
    filterset_class = MilestoneFilter
    permission_classes = [Rules]
    rules = {"partial_update": "initiative.set_milestone_status"}
    search_fields = ["title", "description"]
    ordering_fields = ["target_date", "order"]
    http_method_names = ["get", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.milestone_queryset(self.request.user)

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        if page is None:
            return None
        return tracker_selectors.attach_milestone_progress(list(page), user=self.request.user)

    def get_object(self):
        milestone = super().get_object()
        return tracker_selectors.attach_milestone_progress([milestone], user=self.request.user)[0]

    @extend_schema(request=MilestoneStatusInputSerializer, responses=MilestoneSerializer)
    def partial_update(self, request, *args, **kwargs):
        milestone = self.get_object()
        data = MilestoneStatusInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.milestone_set_status(milestone=milestone, user=request.user, **data.validated_data)
        return Response(self.get_serializer(self.get_object()).data)


class SubprojectViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = SubprojectSerializer
    lookup_field = "key"
    filterset_fields = ["kind"]
    search_fields = ["name", "description"]

    def get_queryset(self):
        return selectors.subproject_list(user=self.request.user)


class MigrationFilter(django_filters.FilterSet):
    subproject = django_filters.CharFilter(field_name="subproject__key")
    stage = django_filters.ChoiceFilter(choices=Stage.choices)

    class Meta:
        model = Migration
        fields = ["subproject", "stage"]


class MigrationViewSet(mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Each subproject's migration stage against its targets; leads PATCH the stage."""

    queryset = selectors.migration_list()
    serializer_class = MigrationSerializer
    lookup_field = "subproject__key"
    lookup_url_kwarg = "subproject"
    filterset_class = MigrationFilter
    permission_classes = [Rules]
    rules = {"partial_update": "initiative.set_migration_stage"}
    http_method_names = ["get", "patch", "head", "options"]

    @extend_schema(request=MigrationStageInputSerializer, responses=MigrationSerializer)
    def partial_update(self, request, *args, **kwargs):
        migration = self.get_object()
        data = MigrationStageInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        migration = services.migration_set_stage(
            migration=migration, user=request.user, **data.validated_data
        )
        return Response(self.get_serializer(migration).data)


class BlockerFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=BlockerStatus.choices)
    severity = django_filters.MultipleChoiceFilter(choices=Severity.choices)
    category = django_filters.ChoiceFilter(choices=Category.choices)
    review_state = django_filters.MultipleChoiceFilter(choices=ReviewState.choices)
    milestone = django_filters.CharFilter(field_name="milestones__key", distinct=True)
    subproject = django_filters.CharFilter(field_name="subprojects__key", distinct=True)
    release = django_filters.CharFilter(field_name="milestones__release__key", distinct=True)

    class Meta:
        model = Blocker
        fields = [
            "status",
            "severity",
            "category",
            "review_state",
            "milestone",
            "subproject",
            "release",
        ]


class BlockerViewSet(
    mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """Blockers: anyone reads the public ones, members file, reporter/owner/leads change."""

    serializer_class = BlockerSerializer
    permission_classes = [Rules]
    rules = {"create": "initiative.file_blocker", "partial_update": "initiative.edit_blocker"}
    filterset_class = BlockerFilter
    search_fields = ["title", "description"]
    ordering_fields = ["created_at", "updated_at", "severity"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.blocker_list(user=self.request.user)

    @extend_schema(
        request=BlockerCreateSerializer,
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                str,
                OpenApiParameter.HEADER,
                description="Any string up to 200 characters: a repeat with the same key files "
                "nothing and answers 200 with the blocker the first request filed.",
            )
        ],
        responses={201: BlockerSerializer, 200: BlockerSerializer},
    )
    def create(self, request, *args, **kwargs):
        data = BlockerCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        key = request.headers.get("Idempotency-Key", "")
        if len(key) > 200:
            raise ValidationError({"Idempotency-Key": ["At most 200 characters."]})
        if key:
            # One key space per person: nobody can reach another's blocker through a key.
            submission = uuid.uuid5(IDEMPOTENCY_KEYS, f"{request.user.pk}:{key}")
            blocker, created = services.blocker_file_once(
                reporter=request.user, submission=submission, **data.validated_data
            )
        else:
            blocker = services.blocker_file(reporter=request.user, **data.validated_data)
            created = True
        blocker = selectors.blocker_get(user=request.user, pk=blocker.pk)
        answer = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(self.get_serializer(blocker).data, status=answer)

    @extend_schema(request=BlockerInputSerializer, responses=BlockerSerializer)
    def partial_update(self, request, *args, **kwargs):
        blocker = self.get_object()
        data = BlockerInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        services.blocker_update(blocker=blocker, user=request.user, **data.validated_data)
        return Response(
            self.get_serializer(selectors.blocker_get(user=request.user, pk=blocker.pk)).data
        )
