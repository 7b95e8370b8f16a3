"""Names vulture cannot see used, each with who uses it (vulture counts a mention as a use).

Called by name from settings or a library, not from our code:
"""

from fedimage.accounts import admin_site, lockout, pipeline
from fedimage.bus import consumer
from fedimage.core import beat, cache, locks, pagecache, schema, tasks
from fedimage.core import logging as core_logging
from fedimage.core import metrics as core_metrics
from fedimage.dashboard import context_processors as dashboard_context
from fedimage.dashboard.metrics import DashboardCollector

lockout.lockout_response  # settings.AXES_LOCKOUT_CALLABLE
admin_site.SuperuserAdminSite  # admin_site.AdminConfig.default_site (by dotted name)
consumer.TrackerIssueConsumer  # fedora-messaging consume --callback (README)
pipeline.require_membership  # settings.SOCIAL_AUTH_PIPELINE
pipeline.claim_username  # settings.SOCIAL_AUTH_PIPELINE
pipeline.sync_account  # settings.SOCIAL_AUTH_PIPELINE
beat.Scheduler  # settings.CELERY_BEAT_SCHEDULER
cache.ResilientRedisCache  # settings.CACHES
core_logging.JsonFormatter  # settings.LOGGING
core_logging.JsonFormatter.format  # logging.Formatter calls it
tasks.Task  # the Celery app's task_cls (fedimage/celery.py)
locks.Lease.check  # public API of the lease a long job holds (runtime)
core_metrics._count_run  # a Celery signal receiver (task_postrun)
core_metrics._count_retry  # a Celery signal receiver (task_retry)
DashboardCollector.collect  # prometheus-client's Collector protocol
dashboard_context.sample_data  # settings.TEMPLATES context_processors
pagecache.cached_pages  # tests: every main page is registered (tests/core/test_pagecache.py)
pagecache.is_version_bump  # tests that count on-commit callbacks leave the cache's out
pagecache.bump_all  # tests/conftest.py: no test sees a page another cached
schema.add_error_responses  # settings.SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]

# New with the sync pipeline and not called yet: the trackers engineer uses or removes it.
from trackers.sync import ledger

ledger.listing_kind
