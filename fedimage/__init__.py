"""fedimage: the coordination dashboard of Fedora's Image Mode (bootc) initiative."""

from fedimage.celery import app as celery_app

__all__ = ("celery_app",)
