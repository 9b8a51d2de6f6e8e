"""The Celery application the celery scenario runs: broker (kombu's Redis
transport) on database 0 and result backend on database 1 of the server at
E2E_HOST:E2E_PORT. Imported both by the worker subprocess and the client."""

from celery import Celery

from e2elib import HOST, PORT

app = Celery(
    "celery_app",
    broker=f"redis://{HOST}:{PORT}/0",
    backend=f"redis://{HOST}:{PORT}/1",
)
app.conf.update(
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    result_expires=3600,
    # Bound every call so a server that stops answering fails the check.
    redis_socket_timeout=10,
    redis_socket_connect_timeout=5,
    broker_transport_options={"socket_timeout": 10, "socket_connect_timeout": 5},
    broker_connection_max_retries=3,
    worker_prefetch_multiplier=1,
    worker_hijack_root_logger=False,
)


@app.task
def add(x, y):
    return x + y


@app.task
def mul(x, y):
    return x * y


@app.task
def tsum(numbers):
    return sum(numbers)


@app.task
def boom(text):
    raise ValueError(text)


@app.task(bind=True, max_retries=5)
def flaky(self, succeed_on):
    """Fails until its (succeed_on)th retry, then reports how many it took."""
    if self.request.retries < succeed_on:
        raise self.retry(countdown=0.1, exc=RuntimeError("not yet"))
    return self.request.retries
