"""The reports as JSON: the same sections and rows as their pages and exports."""

from rest_framework import serializers


class ReportRowSerializer(serializers.Serializer):
    reference = serializers.CharField()
    title = serializers.CharField()
    state = serializers.CharField()
    detail = serializers.CharField()
    progress = serializers.IntegerField(allow_null=True)
    upstream_url = serializers.CharField()
    page_url = serializers.SerializerMethodField()
    private = serializers.BooleanField()

    def get_page_url(self, row) -> str:
        request = self.context.get("request")
        if row.page_url and request is not None:
            return request.build_absolute_uri(row.page_url)
        return row.page_url


class ReportSectionSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    rows = ReportRowSerializer(many=True)


class ReportSerializer(serializers.Serializer):
    kind = serializers.CharField()
    key = serializers.CharField()
    title = serializers.CharField()
    summary = serializers.CharField()
    generated_at = serializers.DateTimeField()
    sections = ReportSectionSerializer(many=True)


class ReportEntrySerializer(serializers.Serializer):
    """A report that exists, with where to read it."""

    key = serializers.CharField()
    name = serializers.CharField()
    url = serializers.CharField()
