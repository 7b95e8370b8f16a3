"""The Celery app: configured from Django settings under the CELERY_ namespace.

Every task is a `fedimage.core.tasks.Task` (late acks, coherent time limits, the one retry
layer); workers keep the messages they hold visible to themselves only (fedimage.core.worker).
"""

import os

from celery import Celery

from fedimage.core.worker import KeepHeldMessagesVisible

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fedimage.settings")

app = Celery("fedimage", task_cls="fedimage.core.tasks:Task")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.steps["consumer"].add(KeepHeldMessagesVisible)
app.autodiscover_tasks()
