from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import viewsets

from fedimage.ci import selectors
from fedimage.ci.api.serializers import CiRunSerializer


@extend_schema(
    parameters=[
        OpenApiParameter("image", str, description="A watched image's key."),
        OpenApiParameter("parsed", bool, description="Only runs read (true) or unparsed (false)."),
        OpenApiParameter("digest", str, description="Runs that tested this digest."),
    ]
)
class CiRunViewSet(viewsets.ReadOnlyModelViewSet):
    """CI test runs read from the report tracker; unparsed ones say why in `problem`."""

    serializer_class = CiRunSerializer
    query_parameters = ("image", "parsed", "digest")  # read by get_queryset (fedimage.core.rest)

    def get_queryset(self):
        params = self.request.query_params
        parsed = {"true": True, "false": False}.get(params.get("parsed", "").lower())
        return selectors.run_list(
            filters={"image": params.get("image"), "parsed": parsed, "digest": params.get("digest")}
        )
