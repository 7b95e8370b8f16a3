"""Benchmark: poll 200 unchanged tags on a local registry, beside `skopeo inspect` per tag.

    .venv/bin/python bench/poll_images.py [--tags 200] [--repos 10]

Starts its own `docker-registry` (access log on, so requests are counted on the server side),
pushes one two-architecture index per repository and tags it many times, loads matching watched
images into a throwaway SQLite database, then measures:

- the first poll (every digest is new: index, manifests, configs and signature lookups),
- a second poll (nothing changed: one HEAD per tag, the steady state of the beat schedule),
- `skopeo inspect --tls-verify=false docker://HOST/REPO:TAG` once per tag.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


class CountingRegistry:
    """A RegistryServer with its access log on, to count what each client really asked."""

    def __init__(self, workdir: Path) -> None:
        from tests.health.registry_server import RegistryServer

        class _Server(RegistryServer):
            def config(self) -> dict:
                config = super().config()
                config["log"] = {"level": "info", "accesslog": {"disabled": False}}
                return config

        self.server = _Server(workdir)

    def requests(self) -> int:
        """Return how many HTTP requests the registry has answered so far."""
        return sum(
            1 for line in self.server.log_text().splitlines() if '"' in line and " HTTP/1" in line
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tags", type=int, default=200)
    parser.add_argument("--repos", type=int, default=10)
    args = parser.parse_args()
    per_repo = args.tags // args.repos

    work = Path(tempfile.mkdtemp(prefix="fedimage-bench-"))
    os.environ.update(
        DEBUG="1",
        FEDIMAGE_VAR_DIR=str(work / "var"),
        DJANGO_SETTINGS_MODULE="fedimage.settings",
    )
    for name in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"):
        os.environ.pop(name, None)
    import django

    django.setup()
    import logging

    logging.getLogger("httpx").setLevel(logging.WARNING)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    import httpx

    from fedimage.health.clients.registry import RegistryClient
    from fedimage.health.models import TagState, WatchedImage
    from fedimage.health.services import image_poll
    from tests.health.oci import OciPusher

    counting = CountingRegistry(work / "registry")
    with counting.server as registry:
        with httpx.Client(base_url=registry.url, timeout=30) as http:
            pusher = OciPusher(http)
            refs = []
            for r in range(args.repos):
                repo = f"bench/image-{r}"
                index = pusher.push_multiarch(repo, "t0", architectures=("amd64", "arm64"))
                for t in range(1, per_repo):
                    pusher.tag(repo, f"t{t}", index)
                tags = [f"t{t}" for t in range(per_repo)]
                image = WatchedImage.objects.create(
                    key=f"image-{r}", name=f"Image {r}", registry=registry.host,
                    repository=repo, tags=tags, expected_arches=["amd64", "arm64"],
                    max_age_hours=24 * 365 * 5, insecure=True,
                )  # fmt: skip
                TagState.objects.bulk_create(
                    TagState(image=image, tag=tag, order=i) for i, tag in enumerate(tags)
                )
                refs += [f"{registry.host}/{repo}:{tag}" for tag in tags]
        images = list(WatchedImage.objects.all())
        total = len(refs)

        def poll_all() -> tuple[float, int, int]:
            before = counting.requests()
            started = time.perf_counter()
            counted = 0
            with RegistryClient(registry.host, insecure=True, timeout=30) as client:
                for image in images:
                    counted += image_poll(image=image, client=client).requests
            wall = time.perf_counter() - started
            time.sleep(0.3)  # let the registry flush its access log
            return wall, counted, counting.requests() - before

        cold = poll_all()
        warm = poll_all()
        states = set(TagState.objects.values_list("state", flat=True))

        before = counting.requests()
        started = time.perf_counter()
        for ref in refs:
            subprocess.run(
                ["skopeo", "inspect", "--tls-verify=false", f"docker://{ref}"],
                check=True, capture_output=True,
            )  # fmt: skip
        skopeo_wall = time.perf_counter() - started
        time.sleep(0.3)
        skopeo_requests = counting.requests() - before

    print(
        f"{total} tags in {len(images)} repositories, two-architecture OCI indexes; "
        f"states: {states}"
    )
    print(f"{'':34}{'wall time':>12}{'requests':>10}{'per tag':>10}")
    rows = [
        ("fedimage first poll (all new)", cold[0], cold[2]),
        ("fedimage poll, unchanged tags", warm[0], warm[2]),
        ("skopeo inspect, one per tag", skopeo_wall, skopeo_requests),
    ]
    for label, wall, requests in rows:
        print(f"{label:34}{wall:>11.2f}s{requests:>10}{requests / total:>10.1f}")
    print(f"(client-side count of the unchanged poll: {warm[1]} requests)")


if __name__ == "__main__":
    main()
