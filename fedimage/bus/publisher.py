"""The one place that talks to the broker: fedora-messaging, configured from the settings.

fedora-messaging publishes through Twisted (a reactor thread run by crochet) and keeps one
connection per process, reconnecting by itself. Its API module creates the reactor when it is
imported, so it is imported here at the first publish, in the worker process that publishes:
a Celery parent importing it before forking its pool would share one reactor between children.
"""

from __future__ import annotations

import copy
import os
import threading
from typing import Any
from urllib.parse import urlsplit

import jsonschema
from django.conf import settings
from fedora_messaging import config as fm_config
from fedora_messaging import exceptions as fm_exceptions
from fedora_messaging.message import get_class

# The broker did not answer or the connection broke: try again later, in order.
TRANSIENT = (fm_exceptions.PublishTimeout, fm_exceptions.ConnectionException)
# The broker or the schema refused this message: sending it again cannot succeed.
REFUSED = (
    fm_exceptions.PublishReturned,
    fm_exceptions.PublishForbidden,
    fm_exceptions.ValidationError,
    jsonschema.ValidationError,  # what Message.validate() raises
)

# The longest wait between two reconnection attempts while the broker is away (seconds).
RECONNECT_MAX_DELAY = 60.0

_configured_lock = threading.Lock()
_configured = False


def enabled() -> bool:
    """Whether a broker is configured (FEDIMAGE_BUS_AMQP_URL or FEDORA_MESSAGING_CONF)."""
    return bool(settings.BUS_AMQP_URL or settings.BUS_CONFIG_FILE)


def configure() -> dict[str, Any]:
    """Load fedora-messaging's configuration once: its file if named, then the environment's."""
    global _configured
    with _configured_lock:
        if not _configured:
            conf = fm_config.conf
            if settings.BUS_CONFIG_FILE:
                conf.load_config(config_path=settings.BUS_CONFIG_FILE)
            elif not conf.loaded:
                # Not /etc/fedora-messaging/config.toml: the environment configures fedimage.
                conf.load_config(config_path=os.devnull)
            overrides: dict[str, Any] = {}
            if settings.BUS_AMQP_URL:
                overrides["amqp_url"] = settings.BUS_AMQP_URL
            if settings.BUS_EXCHANGE:
                overrides["publish_exchange"] = settings.BUS_EXCHANGE
            if settings.BUS_TOPIC_PREFIX is not None:
                overrides["topic_prefix"] = settings.BUS_TOPIC_PREFIX
            tls = {k: v for k, v in settings.BUS_TLS.items() if v}
            if tls:
                overrides["tls"] = {**conf["tls"], **tls}
            properties = copy.deepcopy(conf["client_properties"])
            properties.setdefault("app", "fedimage")
            if properties.get("app") == "Unknown":
                properties["app"] = "fedimage"
            overrides["client_properties"] = properties
            conf.update(overrides)
            _configured = True
        return fm_config.conf


def publish(*, message_id: str, schema: str, topic: str, body: dict, severity: int) -> None:
    """Publish one message and wait for the broker's confirmation (or raise)."""
    from fedora_messaging import api  # noqa: PLC0415 (see the module docstring)

    conf = configure()
    message = get_class(schema)(body=body, topic=topic, severity=severity)
    message.id = message_id
    exchange = settings.BUS_EXCHANGE or conf["publish_exchange"]
    try:
        api.publish(message, exchange=exchange, timeout=settings.BUS_PUBLISH_TIMEOUT)
    finally:
        _cap_reconnect_delay(api)


def _cap_reconnect_delay(api: Any) -> None:
    """Keep the reconnection attempts of a long outage at most a minute apart.

    fedora-messaging reconnects with Twisted's ReconnectingClientFactory, whose delay grows to
    an hour: after a long outage the broker would be back long before the worker noticed.
    """
    factory = getattr(getattr(api, "_twisted_service", None), "factory", None)
    if factory is not None and hasattr(factory, "maxDelay"):
        factory.maxDelay = RECONNECT_MAX_DELAY


def scrub(text: str) -> str:
    """Remove the broker URL's password from an error text."""
    # dict.get: reading the key must not load a configuration file as a side effect.
    for url in (settings.BUS_AMQP_URL, str(dict.get(fm_config.conf, "amqp_url", "") or "")):
        password = urlsplit(url).password if url else None
        if password:
            text = text.replace(password, "***")
    return text
