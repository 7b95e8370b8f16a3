"""Read-only REST API of the reports; built by the same code as the pages and exports."""

from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.response import Response
from rest_framework.reverse import reverse

from fedimage.core.rest import KnownQueryParametersMixin
from fedimage.initiative.selectors import release_get, release_queryset
from fedimage.reports.api.serializers import ReportEntrySerializer, ReportSerializer
from fedimage.reports.reports import UPSTREAMS, release_report, upstream_report


class UpstreamReportViewSet(KnownQueryParametersMixin, viewsets.ViewSet):
    """What the initiative needs from each upstream family (bootc, Konflux)."""

    lookup_field = "key"
    lookup_value_regex = "[-a-zA-Z0-9_]+"

    @extend_schema(responses=ReportEntrySerializer(many=True))
    def list(self, request):
        entries = [
            {
                "key": u.key,
                "name": u.name,
                "url": reverse("api-report-upstream-detail", args=[u.key], request=request),
            }
            for u in UPSTREAMS.values()
        ]
        return Response(ReportEntrySerializer(entries, many=True).data)

    @extend_schema(responses=ReportSerializer)
    def retrieve(self, request, key: str):
        report = upstream_report(key=key, user=request.user)
        return Response(ReportSerializer(report, context={"request": request}).data)


class ReleaseReportViewSet(KnownQueryParametersMixin, viewsets.ViewSet):
    """Each release's readiness: milestones, blockers, migrations, image health."""

    lookup_field = "key"
    lookup_value_regex = "[-a-zA-Z0-9_]+"

    @extend_schema(responses=ReportEntrySerializer(many=True))
    def list(self, request):
        entries = [
            {
                "key": r.key,
                "name": r.name,
                "url": reverse("api-report-release-detail", args=[r.key], request=request),
            }
            for r in release_queryset()
        ]
        return Response(ReportEntrySerializer(entries, many=True).data)

    @extend_schema(responses=ReportSerializer)
    def retrieve(self, request, key: str):
        report = release_report(release=release_get(key=key), user=request.user)
        return Response(ReportSerializer(report, context={"request": request}).data)
