"""gunicorn settings of the production image: `gunicorn fedimage.wsgi --config gunicorn.conf.py`."""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "3"))
timeout = 60
accesslog = "-"

# /metrics under several worker processes: each writes its request metrics to files in this
# directory and a scrape, answered by any one of them, sums them (prometheus-client's
# multiprocess mode). A fresh directory at each start; set before any worker imports the app.
_own_metrics_dir = ""
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    import tempfile

    _own_metrics_dir = tempfile.mkdtemp(prefix="fedimage-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = _own_metrics_dir


def child_exit(server, worker):
    """Forget a dead worker's live gauges (its counters stay in the sum)."""
    # Imported here, not at the top: prometheus-client picks its multiprocess mode at import,
    # which must come after PROMETHEUS_MULTIPROC_DIR is set above.
    from prometheus_client import multiprocess  # noqa: PLC0415

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    """Remove the metrics directory this start made (a restart begins a fresh one)."""
    if _own_metrics_dir:
        import shutil  # noqa: PLC0415

        shutil.rmtree(_own_metrics_dir, ignore_errors=True)
