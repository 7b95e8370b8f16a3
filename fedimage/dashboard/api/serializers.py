"""API representations; inputs are validated here and written by services."""

from rest_framework import serializers

from fedimage.initiative.models import (
    BLOCKER_DESCRIPTION_MAX_LENGTH,
    Blocker,
    BlockerStatus,
    Category,
    Migration,
    Milestone,
    MilestoneStatus,
    Release,
    Severity,
    Stage,
    Subproject,
)
from fedimage.initiative.selectors import active_users, milestone_choices, subproject_choices


class ReleaseSerializer(serializers.ModelSerializer):
    class Meta:
        model = Release
        fields = [
            "key",
            "name",
            "order",
            "beta_target",
            "final_target",
            "released_on",
            "end_of_life",
            "notes",
        ]


class MilestoneSerializer(serializers.ModelSerializer):
    release = serializers.SlugRelatedField(slug_field="key", read_only=True)
    status_is_stale = serializers.BooleanField(read_only=True)
    progress = serializers.SerializerMethodField(
        help_text="Percent done from linked work; null when none."
    )
    progress_label = serializers.SerializerMethodField()
    blockers_open = serializers.IntegerField(read_only=True)
    blockers_total = serializers.IntegerField(read_only=True)

    class Meta:
        model = Milestone
        fields = [
            "key",
            "release",
            "title",
            "description",
            "owner",
            "target_date",
            "stretch",
            "status",
            "status_note",
            "status_confirmed_at",
            "status_is_stale",
            "migration_stage",
            "progress",
            "progress_label",
            "blockers_open",
            "blockers_total",
        ]
        read_only_fields = fields

    def get_progress(self, obj) -> int | None:
        return getattr(obj, "progress", None)

    def get_progress_label(self, obj) -> str:
        return getattr(obj, "progress_label", "")


class MilestoneStatusInputSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=MilestoneStatus.choices)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class MigrationSerializer(serializers.ModelSerializer):
    subproject = serializers.SlugRelatedField(slug_field="key", read_only=True)
    stage_label = serializers.CharField(source="get_stage_display", read_only=True)
    beta_target = serializers.SlugRelatedField(slug_field="key", read_only=True)
    production_target = serializers.SlugRelatedField(slug_field="key", read_only=True)

    class Meta:
        model = Migration
        fields = [
            "subproject",
            "stage",
            "stage_label",
            "beta_target",
            "production_target",
            "note",
            "evidence_url",
            "confirmed_at",
        ]
        read_only_fields = fields


class MigrationStageInputSerializer(serializers.Serializer):
    stage = serializers.ChoiceField(choices=Stage.choices)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
    evidence_url = serializers.URLField(
        required=False, allow_blank=True, max_length=500, default=""
    )


class SubprojectSerializer(serializers.ModelSerializer):
    owners = serializers.ListField(
        source="owner_list", child=serializers.CharField(), read_only=True
    )
    migration = MigrationSerializer(read_only=True)
    blockers_open = serializers.IntegerField(read_only=True)

    class Meta:
        model = Subproject
        fields = [
            "key",
            "name",
            "kind",
            "description",
            "owners",
            "matrix_room",
            "homepage",
            "tracker_url",
            "migration",
            "blockers_open",
        ]
        read_only_fields = fields


class BlockerSerializer(serializers.ModelSerializer):
    reporter = serializers.SlugRelatedField(slug_field="username", read_only=True)
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True)
    milestones = serializers.SlugRelatedField(slug_field="key", many=True, read_only=True)
    subprojects = serializers.SlugRelatedField(slug_field="key", many=True, read_only=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = Blocker
        fields = [
            "id",
            "url",
            "title",
            "description",
            "severity",
            "status",
            "category",
            "reporter",
            "owner",
            "milestones",
            "subprojects",
            "tracking_url",
            "private",
            "review_state",
            "created_at",
            "updated_at",
            "closed_at",
        ]
        read_only_fields = fields

    def get_url(self, obj) -> str:
        request = self.context.get("request")
        path = obj.get_absolute_url()
        return request.build_absolute_uri(path) if request else path


class BlockerInputSerializer(serializers.Serializer):
    """What a client may send to file or change a blocker."""

    title = serializers.CharField(min_length=5, max_length=200)
    description = serializers.CharField(
        required=False, allow_blank=True, max_length=BLOCKER_DESCRIPTION_MAX_LENGTH
    )
    severity = serializers.ChoiceField(choices=Severity.choices, required=False)
    status = serializers.ChoiceField(choices=BlockerStatus.choices, required=False)
    category = serializers.ChoiceField(choices=Category.choices, required=False)
    milestones = serializers.SlugRelatedField(
        slug_field="key", many=True, queryset=milestone_choices(), required=False
    )
    subprojects = serializers.SlugRelatedField(
        slug_field="key", many=True, queryset=subproject_choices(), required=False
    )
    tracking_url = serializers.URLField(required=False, allow_blank=True, max_length=500)
    owner = serializers.SlugRelatedField(
        slug_field="username",
        queryset=active_users(),
        required=False,
        allow_null=True,
    )
    private = serializers.BooleanField(required=False)

    def validate_title(self, value: str) -> str:
        return value.strip()

    def validate(self, attrs: dict) -> dict:
        # A typo or a read-only field must not be silently ignored.
        unknown = sorted(set(getattr(self, "initial_data", {})) - set(self.fields))
        if unknown:
            raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return attrs


class BlockerCreateSerializer(BlockerInputSerializer):
    """What a client may send to file a blocker: a new blocker is always open."""

    status = None
