"""Django settings for fedimage, read from the environment (12-factor).

With nothing set, fedimage runs self-contained for development only when DEBUG is on: SQLite
and a filesystem Celery broker in ./var. With DEBUG off (the default) a SECRET_KEY is required.
"""

import ipaddress
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()

VAR_DIR = Path(env.str("FEDIMAGE_VAR_DIR", default=str(BASE_DIR / "var")))

DEBUG = env.bool("DEBUG", default=False)

# A known key is tolerable only on a developer's machine; production must bring its own.
_DEV_SECRET_KEY = "django-insecure-fedimage-development-only-never-in-production"  # noqa: S105
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it in the environment (50+ random characters), "
            "or set DEBUG=1 for a development server."
        )
    SECRET_KEY = _DEV_SECRET_KEY
elif SECRET_KEY == _DEV_SECRET_KEY and not DEBUG:
    raise ImproperlyConfigured("The development SECRET_KEY must not be used with DEBUG off.")
elif not DEBUG and (len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5):
    # Django's own rule (check --deploy, security.W009), enforced: a guessable key signs sessions.
    raise ImproperlyConfigured(
        f"SECRET_KEY is too weak ({len(SECRET_KEY)} characters, {len(set(SECRET_KEY))} different;"
        " at least 50 and 5 are needed). Generate one with: "
        "python3 -c 'import secrets; print(secrets.token_urlsafe(50))'"
    )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "fedimage.accounts.admin_site.AdminConfig",  # django.contrib.admin, for superusers only
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "django_htmx",
    "csp",
    "fedimage.core",
    "fedimage.initiative",
    "fedimage.health",
    "fedimage.meetings",
    "fedimage.notifications",
    "fedimage.bus",
    "fedimage.ci",
    "trackers",
    "fedimage.reports",
    "fedimage.dashboard",
]

MIDDLEWARE = [
    "fedimage.core.metrics.RequestMetricsMiddleware",  # first: times the whole answer
    "fedimage.core.middleware.HeadAsGetMiddleware",  # HEAD wherever GET works
    "fedimage.core.middleware.RefuseNulMiddleware",  # a NUL in path, query or form: 400
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.http.ConditionalGetMiddleware",  # 304 for an unchanged page
    # Pages from the cache, before any session, user or CSP work; stores what the rest built.
    "fedimage.core.pagecache.PageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "fedimage.urls"
WSGI_APPLICATION = "fedimage.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "fedimage.initiative.context_processors.roles",
                "fedimage.dashboard.context_processors.sample_data",
            ],
            # |bdi, |visible, {% outside_link %}: untrusted text in every template.
            "builtins": ["fedimage.core.templatetags.untrusted"],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'fedimage.sqlite3'}"),
}
if "DATABASE_URL" not in env or not env.str(
    "CELERY_BROKER_URL", default=env.str("REDIS_URL", default="")
):
    # The embedded defaults keep their SQLite file and broker queue here.
    VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # make run's web, worker and beat (and make demo beside them) write one file: WAL lets
    # readers go on during a write, IMMEDIATE takes the write lock up front (a deferred
    # transaction upgrading to write fails at once with "database is locked"), and a writer
    # waits up to 20 s for another's commit.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )
# Persistent connections (2-4x on small pages), checked before reuse (a db restart fails none).
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", env.bool("CONN_HEALTH_CHECKS", default=True))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")

if REDIS_URL:
    # Degrades to misses while Redis is down (fedimage.core.cache): pages keep answering.
    CACHES = {
        "default": {
            "BACKEND": "fedimage.core.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    # One for web, worker and beat (the page cache's versions must be the same in all three).
    _files = "django.core.cache.backends.filebased.FileBasedCache"
    CACHES = {"default": {"BACKEND": _files, "LOCATION": str(VAR_DIR / "cache")}}
# Pages from the cache (fedimage/core/pagecache.py) at most this long; 0: off.
PAGE_CACHE_SECONDS = env.int("PAGE_CACHE_SECONDS", default=60)
# Sessions are read on every request (the time zone lives there): from the cache, written
# through to the database so a cache restart signs nobody out.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard:overview"
LOGOUT_REDIRECT_URL = "dashboard:overview"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = env.bool("WHITENOISE_USE_FINDERS", default=DEBUG)

# Security: secure by default whenever DEBUG is off; `check --deploy` is clean.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# HTTPS_ONLY (on by default when DEBUG is off): redirect plain HTTP to HTTPS, HSTS, and cookies
# sent only over HTTPS. For a deployment behind a TLS-terminating proxy that sends
# X-Forwarded-Proto. Off for a plain-HTTP deployment such as the local docker-compose.
HTTPS_ONLY = env.bool("HTTPS_ONLY", default=not DEBUG)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=HTTPS_ONLY)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000 if HTTPS_ONLY else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS_ONLY
SECURE_HSTS_PRELOAD = False
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=HTTPS_ONLY)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=HTTPS_ONLY)
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SILENCED_SYSTEM_CHECKS = [
    # HSTS preload is a commitment for the whole domain; the deployer opts in, not this app.
    "security.W021",
]

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}

# Request bodies (forms, the API, webhooks) of at most 2.5 MB (Django's default, stated):
# larger ones are refused with 413 (API, webhooks) or 400 (forms). JSON nests at most
# JSON_MAX_DEPTH levels, checked before parsing (fedimage.core.inputs).
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)
JSON_MAX_DEPTH = 32

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "fedimage.core.schema.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    # Request bodies within fedimage.core.inputs' limits (size, JSON depth, NUL, integers).
    "DEFAULT_PARSER_CLASSES": [
        "fedimage.core.rest.JSONParser",
        "fedimage.core.rest.FormParser",
        "fedimage.core.rest.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": [
        "fedimage.core.rest.FilterBackend",  # django-filter's; unknown parameters are a 400
        "fedimage.core.rest.SearchFilter",  # documented where the view searches
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.BasicAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    # A service's Django ValidationError becomes a field-level 400 in every app's API.
    "EXCEPTION_HANDLER": "fedimage.core.rest.exception_handler",
    # The browsable API with its style="" attributes allowed by hash (the CSP stays strict).
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "fedimage.core.browsable.BrowsableAPIRenderer",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "fedimage API",
    "DESCRIPTION": "Releases, milestones, subprojects, migrations and blockers of Fedora's "
    "Image Mode (bootc) initiative.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "fedimage.core.schema.add_error_responses",  # 400, 401, 403, 404, 413, 429...
    ],
    "ENUM_NAME_OVERRIDES": {
        "MilestoneStatusEnum": "fedimage.initiative.models.MilestoneStatus",
        "BlockerStatusEnum": "fedimage.initiative.models.BlockerStatus",
        "MigrationStageEnum": "fedimage.initiative.models.Stage",
        "HealthStateEnum": "fedimage.health.models.HealthState",
        "IssueStateEnum": "trackers.models.IssueState",
        "ReviewStateEnum": "fedimage.initiative.models.ReviewState",
    },
}

# Celery: a real broker always. Redis when configured, else kombu's filesystem transport,
# which needs no server and works across processes on one machine.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://localhost//")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
else:
    # A message a worker took and has not acknowledged goes back on its queue after this long.
    # Short, so a SIGKILLed worker's task is redelivered within minutes; live workers re-stamp
    # the messages they hold (fedimage.core.worker), so long tasks and countdowns never run twice.
    _visibility = env.float("CELERY_VISIBILITY_TIMEOUT_SECONDS", default=300.0)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": _visibility,
        # Each worker looks for stale messages this often (kombu: interval x throttle).
        "unacked_restore_interval": max(1, min(30, int(_visibility / 4))),
        "unacked_restore_throttle": 1,
        "socket_connect_timeout": 5,
    }
# A web request publishing while the broker is down gives up fast (the outbox sends it later).
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 1,
}
# Workers reconnect however long the broker is away.
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_TASK_IGNORE_RESULT = True
# Tasks acknowledge after their work and are requeued when their worker dies; time limits are
# per task (fedimage.core.tasks.Task), never global: a global soft limit above a task's own hard
# limit makes Celery refuse to send that task.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Queues: a slow registry never delays a tracker sync or a Matrix message. `make run` runs one
# worker on all of them; docker-compose one worker per queue.
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_QUEUES = [Queue(name) for name in ("default", "trackers", "health", "notifications")]
CELERY_TASK_ROUTES = {
    "trackers.*": {"queue": "trackers"},
    "health.*": {"queue": "health"},
    "notifications.*": {"queue": "notifications"},
}
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "fedimage.core.beat:Scheduler"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
TRACKERS_SYNC_INTERVAL_SECONDS = env.float("TRACKERS_SYNC_INTERVAL_SECONDS", default=300.0)
CELERY_BEAT_SCHEDULE = {
    "health-poll-all": {
        "task": "health.poll_all",
        "schedule": env.float("HEALTH_POLL_INTERVAL_SECONDS", default=600.0),
    },
    "health-thin-samples": {"task": "health.thin_samples", "schedule": 24 * 3600.0},
    "trackers-sync-all": {
        "task": "trackers.sync_all",
        "schedule": TRACKERS_SYNC_INTERVAL_SECONDS,
    },
    "trackers-reconcile-all": {
        "task": "trackers.sync_all",
        "schedule": env.float("TRACKERS_RECONCILE_INTERVAL_SECONDS", default=6 * 3600.0),
        "kwargs": {"full": True},
    },
    "trackers-prune-ledger": {"task": "trackers.prune_ledger", "schedule": 24 * 3600.0},
    "notifications-prune": {"task": "notifications.prune", "schedule": 24 * 3600.0},
    "accounts-clear-sessions": {"task": "accounts.clear_sessions", "schedule": 24 * 3600.0},
    "meetings-action-items-due": {
        "task": "meetings.action_items_due",
        "schedule": env.float("NOTIFICATIONS_DUE_SCAN_INTERVAL_SECONDS", default=3600.0),
    },
    "notifications-redeliver-pending": {
        "task": "notifications.redeliver_pending",
        "schedule": env.float("NOTIFICATIONS_REDELIVER_INTERVAL_SECONDS", default=600.0),
    },
    "core-relay-outbox": {
        "task": "core.relay_outbox",
        "schedule": env.float("OUTBOX_RELAY_INTERVAL_SECONDS", default=30.0),
    },
}
# Sent the moment beat starts (fedimage.core.beat), not one interval later: a fresh dashboard
# syncs and polls at once. The reconcile sweep and the thinning wait for their interval.
CELERY_BEAT_RUN_AT_START = [
    "health-poll-all",
    "trackers-sync-all",
    "meetings-action-items-due",
    "notifications-redeliver-pending",
    "core-relay-outbox",
]
# Job locks (fedimage.core.locks) expire this long after their holder stops renewing them.
LOCK_TTL_SECONDS = env.float("LOCK_TTL_SECONDS", default=30.0)
# Image health: polls of one registry running at once (quay.io throttles beyond a few a second).
HEALTH_REGISTRY_CONCURRENCY = env.int("HEALTH_REGISTRY_CONCURRENCY", default=2)
# Image health polling (issue 10): requests in flight per registry per worker process (they
# share one keep-alive pool), how often an expected but missing signature is looked for again,
# and the cache prefix of what registry clients remember (tokens, realms, referrers support).
HEALTH_REQUESTS_IN_FLIGHT = env.int("HEALTH_REQUESTS_IN_FLIGHT", default=4)
HEALTH_SIGNATURE_RECHECK_SECONDS = env.int("HEALTH_SIGNATURE_RECHECK_SECONDS", default=1800)
HEALTH_CACHE_PREFIX = env.str("HEALTH_CACHE_PREFIX", default="health")

# Tracker sync: a rate limit up to TRACKERS_RATE_WAIT_MAX_SECONDS is waited out inside the run
# (at most TRACKERS_RATE_WAIT_TOTAL_SECONDS per run); a longer one pauses the source until then.
# TRACKERS_RATE_RESERVE requests of a tracker's announced budget are left for others on the
# token. The run ledger keeps every run TRACKERS_RUNS_KEEP_DAYS, failures and runs that changed
# something TRACKERS_NOTABLE_RUNS_KEEP_DAYS, then one row per source, kind and day (kept
# TRACKERS_RUN_DAYS_KEEP_DAYS); webhook deliveries TRACKERS_WEBHOOK_KEEP_DAYS.
# A source whose listings fail is synced by beat again only after as long as it has been failing
# (at least TRACKERS_SYNC_INTERVAL_SECONDS, at most TRACKERS_FAILING_BACKOFF_MAX_SECONDS).
TRACKERS_FAILING_BACKOFF_MAX_SECONDS = env.float(
    "TRACKERS_FAILING_BACKOFF_MAX_SECONDS", default=3600.0
)
TRACKERS_RATE_WAIT_MAX_SECONDS = env.float("TRACKERS_RATE_WAIT_MAX_SECONDS", default=60.0)
TRACKERS_RATE_WAIT_TOTAL_SECONDS = env.float("TRACKERS_RATE_WAIT_TOTAL_SECONDS", default=300.0)
TRACKERS_RATE_RESERVE = env.int("TRACKERS_RATE_RESERVE", default=0)
TRACKERS_RUNS_KEEP_DAYS = env.int("TRACKERS_RUNS_KEEP_DAYS", default=7)
TRACKERS_NOTABLE_RUNS_KEEP_DAYS = env.int("TRACKERS_NOTABLE_RUNS_KEEP_DAYS", default=90)
TRACKERS_WEBHOOK_KEEP_DAYS = env.int("TRACKERS_WEBHOOK_KEEP_DAYS", default=30)
TRACKERS_RUN_DAYS_KEEP_DAYS = env.int("TRACKERS_RUN_DAYS_KEEP_DAYS", default=730)

# Notifications: the Matrix homeserver the bot posts through (empty: Matrix is off), and the NAME
# of the variable holding its access token (the token itself is never in settings or the database).
# E-mail: EMAIL_URL such as smtp+tls://user:password@mail.example.org:587; without it mail is
# printed to the console (development).
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="fedimage <fedimage@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

NOTIFICATIONS_MATRIX_HOMESERVER = env.str("NOTIFICATIONS_MATRIX_HOMESERVER", default="")
NOTIFICATIONS_MATRIX_TOKEN_ENV = env.str(
    "NOTIFICATIONS_MATRIX_TOKEN_ENV", default="FEDIMAGE_MATRIX_TOKEN"
)
# Links in notifications are made absolute with this.
NOTIFICATIONS_SITE_URL = env.str("NOTIFICATIONS_SITE_URL", default="http://localhost:8000")
# Delivered notifications and their events are kept this long (the daily notifications.prune);
# events a periodic scan found (action items due) longer, so the scan never records them twice.
NOTIFICATIONS_KEEP_DAYS = env.int("NOTIFICATIONS_KEEP_DAYS", default=90)
NOTIFICATIONS_SCANNED_KEEP_DAYS = env.int("NOTIFICATIONS_SCANNED_KEEP_DAYS", default=730)
# Retention jobs delete old history this many rows per transaction (fedimage.core.retention).
RETENTION_BATCH_SIZE = env.int("RETENTION_BATCH_SIZE", default=5000)

# bus: the Fedora message bus, off unless a broker is configured; ci: CI results (README).
BUS_AMQP_URL = env.str("FEDIMAGE_BUS_AMQP_URL", default="")
BUS_CONFIG_FILE = env.str("FEDORA_MESSAGING_CONF", default="")
BUS_EXCHANGE = env.str("FEDIMAGE_BUS_EXCHANGE", default="")  # empty: the file's, or amq.topic
BUS_TOPIC_PREFIX = env.str("FEDIMAGE_BUS_TOPIC_PREFIX", default=None)  # org.fedoraproject.prod
BUS_TLS = {k: env.str(f"FEDIMAGE_BUS_{k.upper()}", default="") for k in ("ca_cert", "certfile")}
BUS_TLS["keyfile"] = env.str("FEDIMAGE_BUS_KEYFILE", default="")
BUS_PUBLISH_TIMEOUT = env.float("FEDIMAGE_BUS_PUBLISH_TIMEOUT", default=15.0)
BUS_KEEP_DAYS = env.int("FEDIMAGE_BUS_KEEP_DAYS", default=14)
BUS_GROUPS = env.list("FEDIMAGE_BUS_GROUPS", default=[])  # FAS groups every message names
CI_REPORT_SOURCE = env.str("CI_REPORT_SOURCE", default="fedora-bootc-workflow-report")
CI_FAILED_RUN_OPENS_BLOCKER = env.bool("CI_FAILED_RUN_OPENS_BLOCKER", default=False)
CELERY_TASK_QUEUES.append(Queue("bus"))
CELERY_TASK_ROUTES["bus.*"] = {"queue": "bus"}
_retry = env.float("FEDIMAGE_BUS_RETRY_INTERVAL_SECONDS", default=60.0)
CELERY_BEAT_SCHEDULE["bus-publish-pending"] = {"task": "bus.publish_pending", "schedule": _retry}
CELERY_BEAT_SCHEDULE["bus-housekeeping"] = {"task": "bus.housekeeping", "schedule": 600.0}
CELERY_BEAT_SCHEDULE["ci-refresh"] = {"task": "ci.refresh", "schedule": 300.0}

# The initiative file loaded by `make run` (and by load_initiative without a path).
INITIATIVE_FILE = Path(env.str("INITIATIVE_FILE", default=str(BASE_DIR / "initiative.toml")))
# A status nobody has confirmed for this long is shown as possibly stale.
STATUS_STALE_AFTER_DAYS = env.int("STATUS_STALE_AFTER_DAYS", default=14)

# /metrics (Prometheus text format; README "Monitoring"): readable from these networks, or
# anywhere with `Authorization: Bearer $METRICS_TOKEN`. The client address is the one
# TRUSTED_PROXY_COUNT gives (the sign-in lockout's).
METRICS_ALLOWED_NETWORKS = [
    ipaddress.ip_network(n)
    for n in env.list("METRICS_ALLOWED_NETWORKS", default=["127.0.0.0/8", "::1/128"])
]
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")

# Logs: one line per sync or poll run with its outcome (trackers.sync.ledger,
# health.services.runs); HTTP clients' per-request lines, Celery's per-task and "received"
# lines are silenced below WARNING.
# LOG_FORMAT=json writes one JSON object per line for log collectors. Workers and beat log
# through this configuration too (CELERY_WORKER_HIJACK_ROOT_LOGGER off).
LOG_FORMAT = env.str("LOG_FORMAT", default="plain")
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be plain or json, not {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(processName)s %(name)s: %(message)s"},
        "json": {"()": "fedimage.core.logging.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
        "urllib3": {"level": "WARNING"},
        "gitlab": {"level": "WARNING"},
        "celery.worker.strategy": {"level": "WARNING"},
        # Celery's own "succeeded in"/"retry" line per task: the sync and the poll write one
        # with their counts instead; failures (ERROR) still show, and /metrics counts every run.
        "celery.app.trace": {"level": "WARNING"},
    },
}
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# Accounts (fedimage.accounts): "Sign in with Fedora" (OpenID Connect against Fedora Accounts,
# through social-auth's Fedora backend), roles from FAS groups, lockout after failed passwords
# (django-axes), personal API tokens and API throttling. With no client id, only Django's own
# sign-in is offered.
INSTALLED_APPS += ["social_django", "axes", "fedimage.accounts"]
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
    "fedimage.accounts.middleware.TimezoneMiddleware",
)
MIDDLEWARE.append("axes.middleware.AxesMiddleware")  # turns a lockout into the lockout page
AUTHENTICATION_BACKENDS = [
    "fedimage.accounts.backends.LockoutBackend",  # first: refuses locked-out username+address
    "fedimage.accounts.backends.FedoraOpenIdConnect",
    "django.contrib.auth.backends.ModelBackend",
]

FEDORA_OIDC_ISSUER = env.str("FEDORA_OIDC_ISSUER", default="https://id.fedoraproject.org/openidc/")
FEDORA_OIDC_CLIENT_ID = env.str("FEDORA_OIDC_CLIENT_ID", default="")
FEDORA_OIDC_CLIENT_SECRET = env.str("FEDORA_OIDC_CLIENT_SECRET", default="")
FEDORA_SIGN_IN = bool(FEDORA_OIDC_CLIENT_ID)
# Roles from Fedora Accounts, refreshed at each sign-in: members of these FAS groups, and these
# FAS names, are initiative leads; with FEDORA_MEMBER_GROUPS set, only their members may sign in.
FEDORA_LEAD_GROUPS = env.list("FEDORA_LEAD_GROUPS", default=[])
FEDORA_LEAD_USERS = env.list("FEDORA_LEAD_USERS", default=[])
FEDORA_MEMBER_GROUPS = env.list("FEDORA_MEMBER_GROUPS", default=[])

SOCIAL_AUTH_URL_NAMESPACE = "accounts"
SOCIAL_AUTH_FEDORA_OIDC_OIDC_ENDPOINT = FEDORA_OIDC_ISSUER.rstrip("/")  # + /.well-known/...
SOCIAL_AUTH_FEDORA_OIDC_KEY = FEDORA_OIDC_CLIENT_ID
SOCIAL_AUTH_FEDORA_OIDC_SECRET = FEDORA_OIDC_CLIENT_SECRET
SOCIAL_AUTH_FEDORA_OIDC_IGNORE_DEFAULT_SCOPE = True
SOCIAL_AUTH_FEDORA_OIDC_SCOPE = [
    "openid",
    "profile",
    "email",
    "https://id.fedoraproject.org/scope/groups",
]
SOCIAL_AUTH_FEDORA_OIDC_USE_PKCE = env.bool("FEDORA_OIDC_PKCE", default=True)
SOCIAL_AUTH_FEDORA_OIDC_GROUPS_KEY = "groups"
SOCIAL_AUTH_FEDORA_OIDC_GROUPS_MISSING_AS_EMPTY = True
SOCIAL_AUTH_LOGIN_REDIRECT_URL = "/"
SOCIAL_AUTH_INACTIVE_USER_URL = "/accounts/login/"
SOCIAL_AUTH_SANITIZE_REDIRECTS = True
# Access and refresh tokens are not kept: fedimage only needs who signed in and their groups.
SOCIAL_AUTH_PIPELINE = (
    "social_core.pipeline.social_auth.social_details",
    "social_core.pipeline.social_auth.social_uid",
    "fedimage.accounts.pipeline.require_membership",
    "social_core.pipeline.social_auth.social_user",
    "fedimage.accounts.pipeline.claim_username",
    "social_core.pipeline.user.create_user",
    "social_core.pipeline.social_auth.associate_user",
    "fedimage.accounts.pipeline.sync_account",
)

# Lockout: this many failed passwords for one username from one address lock that pair out
# for a while (the sign-in form and password-based API auth alike); each is in the audit log.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("LOGIN_LOCKOUT_MINUTES", default=15.0) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_LOCKOUT_CALLABLE = "fedimage.accounts.lockout.lockout_response"
AXES_CLIENT_IP_CALLABLE = "fedimage.accounts.lockout.client_ip"
AXES_VERBOSE = False
# Sign-ins, failures and lockouts are kept this long (the daily accounts.prune_audit job).
AUDIT_RETENTION_DAYS = env.int("AUDIT_RETENTION_DAYS", default=180)
# Proxies in front of fedimage that append to X-Forwarded-For (0: use the peer address).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# The REST API: personal tokens (`Authorization: Bearer …` or `Token …`), the browser session,
# and HTTP Basic only where API_BASIC_AUTH is on (by default only with DEBUG).
API_BASIC_AUTH = env.bool("API_BASIC_AUTH", default=DEBUG)
REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"] = [
    "fedimage.accounts.api.authentication.TokenAuthentication",
    "rest_framework.authentication.SessionAuthentication",
    "fedimage.accounts.api.authentication.BasicAuthentication",  # inert unless API_BASIC_AUTH
]
REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] = [
    "fedimage.accounts.api.throttling.AnonRateThrottle",
    "fedimage.accounts.api.throttling.UserRateThrottle",
]
API_THROTTLE_ANON = env.str("API_THROTTLE_ANON", default="60/minute")
API_THROTTLE_USER = env.str("API_THROTTLE_USER", default="600/minute")
CELERY_BEAT_SCHEDULE["accounts-prune-audit"] = {
    "task": "accounts.prune_audit",
    "schedule": 24 * 3600.0,
}
