"""Redis stopped and started again under a running fedimage (web, worker, beat).

A Redis of the test's own (the shared one must keep running), with its append-only file as in
docker-compose. While it is down the pages answer, /readyz names the broker, and filing a
critical blocker answers success once; when it is back the busy worker is still there, the
queued notification goes out and the interrupted task is redelivered.
"""

from __future__ import annotations

from pathlib import Path

import redis

from fedimage.accounts.services import api_token_create
from fedimage.core.models import OutboxMessage, TaskCounter
from fedimage.initiative.models import Blocker
from fedimage.notifications.models import Channel, EventKind, Subscription
from tests.notifications.matrix_server import MatrixHomeserver
from tests.system.conftest import ROOM_ID
from tests.system.redis_server import RedisServer
from tests.system.stack import Stack


def test_pages_answer_and_work_resumes_across_a_redis_restart(
    stack: Stack, tmp_path: Path, homeserver: MatrixHomeserver
):
    server = RedisServer(tmp_path / "redis").start()
    try:
        stack.env["REDIS_URL"] = server.url()
        stack.manage("load_initiative")
        Subscription.objects.create(
            kind=EventKind.BLOCKER_CRITICAL, channel=Channel.MATRIX, room=ROOM_ID
        )
        member = get_member()
        _, token = api_token_create(user=member, name="outage test")
        web, worker, beat = stack.web(), stack.worker(), stack.beat()
        client = redis.Redis(port=server.port)

        # The worker is busy when Redis goes away.
        stack.manage(
            "shell", "--verbosity", "0", "-c",
            "from tests.system.busy import busy; busy.delay('outage', 8)",
        )  # fmt: skip
        stack.wait(lambda: client.llen("default") == 0, "the busy task taken", worker)
        client.close()
        server.stop()

        page = stack.get("/")
        assert page.status == 200
        ready = stack.get("/readyz")
        assert ready.status == 503
        assert "broker" in ready.json()["down"]
        assert ready.json()["checks"]["database"] == "ok"
        filed = stack.request(
            "/api/blockers/",
            method="POST",
            data={"title": "Filed during the outage", "severity": "critical"},
            token=token,
        )
        assert filed.status == 201, filed.text()
        assert Blocker.objects.filter(title="Filed during the outage").count() == 1
        assert OutboxMessage.objects.filter(task="notifications.deliver").count() == 1

        server.start()  # same port, same append-only file

        stack.wait(
            lambda: any("Filed during the outage" in m.get("body", "") for m in room(homeserver)),
            "the notification sent once Redis is back",
            web, worker, beat,
            timeout=180,
        )  # fmt: skip
        stack.wait(lambda: stack.get("/readyz").status == 200, "ready again", web)
        stack.wait(
            # Counted by the worker when the run ends (fedimage.core.metrics), in the database.
            lambda: TaskCounter.objects.filter(
                task="tests.system.busy", runs__gte=1, failures=0
            ).exists(),
            "the task the worker was busy with completed",
            worker,
            timeout=180,
        )
        assert worker.alive()
        assert "Unrecoverable error" not in worker.log()
        assert not OutboxMessage.objects.exists()
        assert len([m for m in room(homeserver) if "Filed during the outage" in m["body"]]) == 1
    finally:
        stack.stop_all()
        server.stop()


def get_member():
    from django.contrib.auth.models import User

    return User.objects.create_user("stakeholder")


def room(homeserver: MatrixHomeserver) -> list[dict]:
    return list(homeserver.messages.get(ROOM_ID, []))
