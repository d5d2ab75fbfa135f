"""gunicorn settings for production: `gunicorn -c deploy/gunicorn.conf.py`.

Every value can be overridden from the environment (GUNICORN_* below) so the same
file serves the container, Kubernetes and the test that runs the real server.
"""
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

# The app is built in each worker after the fork (preload_app False): every worker
# then has its own database pools and eventsourcing application, and never shares a
# connection or a lock inherited from the master.
wsgi_app = "service.wsgi:create_app_waiting_for_database()"
preload_app = False

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# gthread: requests wait on PostgreSQL round trips (each save's commit flush, the
# views' reads), so threads overlap that wait at little memory cost.
worker_class = "gthread"
# Measured with deploy/measure.py (wrk -t2 -c16 -d10s, PostgreSQL on the same
# 2-core machine, other test suites running: +-40% between runs; docs/operations.md):
#   shape   /healthz req/s            POST /cases req/s (authenticated, one event)
#   1x8     1,613 / 2,206 / 2,308     182 / 183 / 331
#   2x4     2,648 / 2,916 / 3,334 / 3,676   179 / 192 / 259
#   3x4     4,123                     327
#   4x2     2,731                     127
# One process is held back by the GIL; two (one per core) roughly doubled /healthz.
# Python CPU per request, not the database, bounds throughput here (saves take only
# their rows' locks and commit together: store/recorder.py). So workers = cores,
# 4 threads each; scale out with replicas, not workers.
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))

# Kubernetes sends SIGTERM, then SIGKILL after terminationGracePeriodSeconds (30 s
# in deploy/k8s): in-flight commands get 20 s to finish and save.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "20"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
# Longer than a load balancer's idle timeout (typically 60 s), so the balancer, not
# gunicorn, closes idle connections and no request is sent to a closing socket.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "75"))
# Recycle workers now and then so a slow leak never becomes an outage; jitter keeps
# them from restarting together.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "20000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "2000"))

# The app logs JSON lines itself (service/logs.py) with request ids and without
# query strings; gunicorn's access log would repeat them in another format.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
# Behind a proxy only: which addresses may set X-Forwarded-* (the app's
# CASETRAIL_TRUSTED_PROXIES decides what it believes).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# /dev/shm, not the container's overlay disk, for the workers' heartbeat files.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None


def on_starting(server):
    # Counters left by a previous run would be summed into this one's.
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        path = Path(directory)
        if path.exists():
            shutil.rmtree(path)
        path.mkdir(parents=True, exist_ok=True)
    _create_tables_once(server)


def _create_tables_once(server, attempts=5):
    # Workers build the app at the same moment after the fork. On an empty database
    # their concurrent CREATE TABLE IF NOT EXISTS collide in PostgreSQL's catalog
    # (duplicate key in pg_type): a worker dies at boot and gunicorn gives up.
    # Measured: 2 workers on a fresh schema failed this way. So build the app once,
    # here, in a short-lived child process (the master keeps no connection or thread
    # to fork); pods starting together may still collide, hence the retries.
    command = [sys.executable, "-c", "from service.app import create_app; create_app()"]
    env = {**os.environ, "CASETRAIL_INPROCESS_PROJECTIONS": "0"}
    for attempt in range(1, attempts + 1):
        if subprocess.run(command, env=env, stdout=subprocess.DEVNULL).returncode == 0:
            return
        server.log.warning("creating the tables failed (attempt %d of %d)", attempt, attempts)
        time.sleep(attempt)
    raise RuntimeError("the database tables could not be created; see the errors above")


def child_exit(server, worker):
    # A dead worker's live gauges must stop counting; its counters stay summed.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
