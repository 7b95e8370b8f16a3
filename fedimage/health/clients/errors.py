"""The errors of the registry client: every failure is one of three kinds.

So a poller never mistakes a missing tag for an unreachable registry:

- `NotFound`: the registry answered that the tag, digest or repository is not there (`AccessDenied`,
  a subclass, when it refuses anonymous access: registries answer unknown repositories that way);
- `RegistryUnavailable`: network error, timeout, 5xx or 429 (worth retrying later);
- `RegistryGarbage`: the registry answered, but not with what the distribution spec promises.
"""

from __future__ import annotations


class RegistryError(Exception):
    """Base of every error the registry client raises."""

    def __init__(self, message: str, *, url: str | None = None) -> None:
        super().__init__(message)
        self.url = url


class NotFound(RegistryError):
    """The registry answered that the tag, digest or repository does not exist."""


class AccessDenied(NotFound):
    """The registry refused anonymous access (it answers this for unknown repositories too)."""


class RegistryUnavailable(RegistryError):
    """The registry could not be reached or asked us to come back later."""

    def __init__(
        self,
        message: str,
        *,
        url: str | None = None,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, url=url)
        self.status = status
        self.retry_after = retry_after


class RegistryGarbage(RegistryError):
    """The registry answered something the distribution spec does not allow."""

    def __init__(self, reason: str, *, url: str | None = None) -> None:
        super().__init__(reason, url=url)
        self.reason = reason
