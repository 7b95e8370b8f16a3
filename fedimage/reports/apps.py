from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """Reports, charts and feeds: read-only views over every app below, to share."""

    name = "fedimage.reports"
    label = "reports"
    verbose_name = "Reports"
