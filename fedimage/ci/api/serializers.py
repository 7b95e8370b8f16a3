from rest_framework import serializers

from fedimage.ci.models import CiRun


class CiRunSerializer(serializers.ModelSerializer):
    image = serializers.SlugRelatedField(slug_field="key", read_only=True)
    tag = serializers.SerializerMethodField()
    issue = serializers.URLField(source="web_url", read_only=True)

    class Meta:
        model = CiRun
        fields = [
            "id", "issue", "title", "run_at", "parsed", "problem", "registry", "repository",
            "digest", "version", "results", "links", "image", "tag",
        ]  # fmt: skip

    def get_tag(self, run: CiRun) -> str | None:
        return run.tag_state.tag if run.tag_state else None
