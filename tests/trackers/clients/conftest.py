"""Clients pointed at the fakes, and helpers to read whole listings."""

import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

import pytest

from tests.trackers.conftest import FORGEJO_TOKEN, GITHUB_TOKEN, GITLAB_TOKEN
from trackers.clients.base import ListingRequest, NoBudget, Page, RemoteIssue
from trackers.clients.forgejo import ForgejoClient
from trackers.clients.github import GitHubClient
from trackers.clients.gitlab import GitLabClient

PROJECT = "fedora/bootc/tracker"
REPO = "bootc-dev/bootc"
FORGE_REPO = "atomic-desktops/tracker"


@pytest.fixture
def gitlab(fake_gitlab) -> Iterator[GitLabClient]:
    with GitLabClient(base_url=fake_gitlab.url, token=GITLAB_TOKEN, per_page=3) as client:
        yield client


@pytest.fixture
def github(fake_github) -> Iterator[GitHubClient]:
    with GitHubClient(base_url=fake_github.url, token=GITHUB_TOKEN, per_page=3) as client:
        yield client


@pytest.fixture
def forgejo(fake_forgejo) -> Iterator[ForgejoClient]:
    with ForgejoClient(base_url=fake_forgejo.url, token=FORGEJO_TOKEN, per_page=3) as client:
        yield client


@pytest.fixture
def budget() -> NoBudget:
    return NoBudget()


@dataclass
class Listing:
    """A whole listing as the sync would store it."""

    pages: list[Page]

    @property
    def issues(self) -> list[RemoteIssue]:
        return [issue for page in self.pages for issue in page.issues]

    @property
    def numbers(self) -> list[int]:
        return [issue.number for issue in self.issues]

    @property
    def cursor(self) -> datetime | None:
        return self.pages[-1].cursor


def list_all(client, project: str, **request) -> Listing:
    """Every page of a listing; resumes after a page when `resume` is given."""
    return Listing(list(client.iter_pages(ListingRequest(project=project, **request))))


def assert_secret_hidden(exc: BaseException, *objects: object, secret: str) -> None:
    text = "".join(traceback.format_exception(exc))
    chain: BaseException | None = exc
    while chain is not None:
        text += str(chain) + repr(chain) + repr(chain.args)
        chain = chain.__cause__ or chain.__context__
    text += "".join(repr(o) for o in objects)
    assert secret not in text
