"""Celery (Debian's python3-celery with kombu's Redis transport) against the
server at E2E_HOST:E2E_PORT: a real worker subprocess consuming from the
broker, results through the Redis result backend, chains, groups, chords,
retries and remote control. The worker is stopped by PID when the scenario
ends, and lives in run.sh's process group, so its timeout reaches it too."""

import atexit
import json
import os
import subprocess
import sys
import tempfile
import time

from celery import chain, chord, group
from celery.result import AsyncResult

from celery_app import add, app, boom, flaky, mul, tsum
from e2elib import Scenario, eq, raises, redis_client, true

s = Scenario("celery")
broker = redis_client(db=0)
backend = redis_client(db=1)
RESULT_WAIT = 15  # seconds a client waits for one result

HERE = os.path.dirname(os.path.abspath(__file__))
log_path = os.path.join(os.environ.get("E2E_TMP") or tempfile.gettempdir(), f"celery-worker-{os.getpid()}.log")
worker = None
early_result = None  # set by the "publish" check


def stop_worker():
    if worker is None or worker.poll() is not None:
        return
    worker.terminate()  # warm shutdown
    try:
        worker.wait(10)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait(5)


atexit.register(stop_worker)


def worker_log():
    try:
        with open(log_path, errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""


@s.check("publish")
def _():
    broker.flushall()
    # No worker yet: the task message waits in the "celery" list.
    res = add.apply_async((20, 22))
    eq(broker.llen("celery"), 1)
    body = json.loads(broker.lindex("celery", 0))
    eq(body["headers"]["task"], "celery_app.add")
    eq(body["headers"]["id"], res.id)
    eq(body["properties"]["delivery_info"]["routing_key"], "celery")
    true(broker.smembers("_kombu.binding.celery"), "queue binding set")
    global early_result
    early_result = res


@s.check("worker-ready", timeout=40)
def _():
    global worker
    logf = open(log_path, "w")
    worker = subprocess.Popen(
        [
            sys.executable, "-m", "celery", "-A", "celery_app", "worker",
            "--pool", "solo", "--without-gossip", "--without-mingle", "--without-heartbeat",
            "--loglevel", "INFO", "--hostname", "e2e@localhost",
        ],
        cwd=HERE,
        stdout=logf,
        stderr=subprocess.STDOUT,
        env=dict(os.environ, PYTHONPATH=HERE),
    )
    deadline = time.monotonic() + 30
    while "e2e@localhost ready." not in worker_log():
        if worker.poll() is not None:
            errors = [line for line in worker_log().splitlines() if "Error" in line]
            raise AssertionError(f"worker exited with {worker.returncode}: {(errors or ['(no error logged)'])[-1]}")
        if time.monotonic() > deadline:
            raise AssertionError("worker did not log 'ready.' within 30 s")
        time.sleep(0.05)


@s.check("task-result", timeout=RESULT_WAIT + 5, needs=["worker-ready"])
def _():
    eq(add.delay(2, 3).get(timeout=RESULT_WAIT), 5)
    if early_result is not None:
        eq(early_result.get(timeout=RESULT_WAIT), 42, "task published before the worker started")


@s.check("result-meta", needs=["task-result"])
def _():
    res = mul.delay(6, 7)
    eq(res.get(timeout=RESULT_WAIT), 42)
    eq(res.state, "SUCCESS")
    key = f"celery-task-meta-{res.id}"
    meta = json.loads(backend.get(key))
    eq((meta["status"], meta["result"], meta["task_id"]), ("SUCCESS", 42, res.id))
    true(3500 < backend.ttl(key) <= 3600, "result_expires applied to the result key")
    eq(AsyncResult(res.id, app=app).result, 42, "result read back by id")


@s.check("task-error", needs=["task-result"])
def _():
    res = boom.delay("kaboom")
    err = raises(ValueError, res.get, timeout=RESULT_WAIT)
    eq(str(err), "kaboom")
    eq(res.state, "FAILURE")
    true("ValueError" in (res.traceback or ""), "traceback stored")


@s.check("retry", needs=["task-result"])
def _():
    res = flaky.delay(2)
    eq(res.get(timeout=RESULT_WAIT), 2, "retries before success")
    eq(res.state, "SUCCESS")


@s.check("countdown", needs=["task-result"])
def _():
    started = time.monotonic()
    res = add.apply_async((1, 1), countdown=1)
    eq(res.get(timeout=RESULT_WAIT), 2)
    true(time.monotonic() - started >= 0.9, "countdown task ran early")


@s.check("chain", needs=["task-result"])
def _():
    res = chain(add.s(1, 2), add.s(3), mul.s(10)).delay()
    eq(res.get(timeout=RESULT_WAIT), 60)
    eq(res.parent.get(timeout=RESULT_WAIT), 6)


@s.check("group", needs=["task-result"])
def _():
    res = group(add.s(i, i) for i in range(20)).delay()
    eq(res.get(timeout=RESULT_WAIT), [i * 2 for i in range(20)])
    eq(res.successful(), True)


@s.check("chord", needs=["task-result"])
def _():
    res = chord((add.s(i, i) for i in range(10)), tsum.s())()
    eq(res.get(timeout=RESULT_WAIT), 90)


@s.check("control-ping", needs=["worker-ready"])
def _():
    # Remote control goes over the fanout exchange: PUBLISH + PSUBSCRIBE.
    replies = app.control.ping(timeout=2)
    eq(replies, [{"e2e@localhost": {"ok": "pong"}}])


@s.check("queue-drained", needs=["task-result"])
def _():
    eq(broker.llen("celery"), 0)
    # Acknowledged messages leave kombu's unacked bookkeeping.
    deadline = time.monotonic() + 5
    while broker.hlen("unacked") and time.monotonic() < deadline:
        time.sleep(0.05)
    eq(broker.hlen("unacked"), 0)
    eq(broker.zcard("unacked_index"), 0)


@s.check("worker-shutdown", needs=["worker-ready"])
def _():
    worker.terminate()
    eq(worker.wait(10), 0, "worker exit status after SIGTERM")


if s.failed:
    sys.stdout.write("---- worker log (tail)\n" + worker_log()[-3000:] + "\n")
stop_worker()
s.done()
