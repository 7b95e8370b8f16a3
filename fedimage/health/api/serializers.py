"""API representations of watched images and their health (read-only)."""

from __future__ import annotations

from rest_framework import serializers

from fedimage.health.models import DigestRecord, StateChange, TagState, WatchedImage


class TagStateSerializer(serializers.ModelSerializer):
    image = serializers.SlugRelatedField(slug_field="key", read_only=True)
    state_label = serializers.CharField(source="get_state_display", read_only=True)
    reference = serializers.SerializerMethodField()
    blocker = serializers.PrimaryKeyRelatedField(read_only=True)
    base_evidence_label = serializers.CharField(source="get_base_evidence_display", read_only=True)

    class Meta:
        model = TagState
        fields = [
            "image", "tag", "reference", "state", "state_label", "reason", "state_since",
            "checked_at", "digest", "media_type", "digest_seen_at", "built_at", "built_source",
            "version", "arches", "signed", "unhealthy_since", "blocker", "base_evidence",
            "base_evidence_label", "base_words", "builds_behind", "test_verdict", "test_words",
            "test_url", "test_digest", "test_run_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_reference(self, obj: TagState) -> str:
        return f"{obj.image.reference}:{obj.tag}"


class NestedTagSerializer(TagStateSerializer):
    class Meta(TagStateSerializer.Meta):
        fields = [f for f in TagStateSerializer.Meta.fields if f not in ("image", "reference")]
        read_only_fields = fields


class WatchedImageSerializer(serializers.ModelSerializer):
    subproject = serializers.SlugRelatedField(slug_field="key", read_only=True)
    milestone = serializers.SlugRelatedField(slug_field="key", read_only=True)
    base = serializers.SlugRelatedField(slug_field="key", read_only=True)
    tag_states = NestedTagSerializer(source="active_tags", many=True, read_only=True)

    class Meta:
        model = WatchedImage
        fields = [
            "key", "name", "registry", "repository", "tags", "expected_arches", "max_age_hours",
            "signature_expected", "insecure", "grace_hours", "base", "subproject", "milestone",
            "notes", "tag_states",
        ]  # fmt: skip
        read_only_fields = fields


class DigestRecordSerializer(serializers.ModelSerializer):
    tag = serializers.CharField(source="tag.tag", read_only=True)

    class Meta:
        model = DigestRecord
        fields = ["tag", "digest", "media_type", "first_seen", "built_at", "built_source",
                  "version", "arches", "signed"]  # fmt: skip
        read_only_fields = fields


class StateChangeSerializer(serializers.ModelSerializer):
    tag = serializers.CharField(source="tag.tag", read_only=True)
    # Plain strings: the states are TagState's `state` enum, named once in the schema.
    old_state = serializers.CharField(read_only=True)
    new_state = serializers.CharField(read_only=True)

    class Meta:
        model = StateChange
        fields = ["tag", "at", "old_state", "new_state", "reason", "digest"]
        read_only_fields = fields
