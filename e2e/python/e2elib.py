"""Check runner shared by the Python scenarios.

Every check prints one line that e2e/run.sh reads:

    ##e2e PASS <scenario>/<check>
    ##e2e FAIL <scenario>/<check> <reason>

and the scenario ends with "##e2e DONE", so run.sh can tell a scenario that
finished from one that crashed or was killed half way. Whether a failure is
expected (xfail) is decided by run.sh alone, from e2e/xfail.txt, so the
scenarios never need to know which server they talk to.
"""

import os
import signal
import sys
import traceback

HOST = os.environ.get("E2E_HOST", "127.0.0.1")
PORT = int(os.environ.get("E2E_PORT", "6379"))

# Socket timeout for every client: a server that stops answering must turn a
# check into a failure, never into a hang.
SOCKET_TIMEOUT = 5.0


class CheckTimeout(Exception):
    pass


def _on_alarm(signum, frame):
    raise CheckTimeout("check timed out")


def _short(value, limit=200):
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def eq(got, want, what=""):
    if got != want:
        prefix = what + ": " if what else ""
        raise AssertionError(f"{prefix}got {_short(got)}, want {_short(want)}")


def true(cond, what):
    if not cond:
        raise AssertionError(what)


def raises(exc_type, fn, *args, contains=None, **kwargs):
    """Asserts that fn raises exc_type (and that its text contains `contains`)."""
    try:
        fn(*args, **kwargs)
    except exc_type as e:
        if contains is not None and contains not in str(e):
            raise AssertionError(f"error {str(e)!r} does not contain {contains!r}")
        return e
    raise AssertionError(f"{getattr(fn, '__name__', fn)} did not raise {exc_type.__name__}")


def redis_client(**kwargs):
    import redis

    opts = dict(
        host=HOST,
        port=PORT,
        socket_timeout=SOCKET_TIMEOUT,
        socket_connect_timeout=SOCKET_TIMEOUT,
        decode_responses=True,
    )
    opts.update(kwargs)
    return redis.Redis(**opts)


class Scenario:
    def __init__(self, name):
        self.name = name
        self.failed = set()
        signal.signal(signal.SIGALRM, _on_alarm)

    def _emit(self, line):
        sys.stdout.write("##e2e " + line + "\n")
        sys.stdout.flush()

    def check(self, name, timeout=15, needs=()):
        """Decorator: runs the function at once as check `name`.

        `timeout` bounds the check (SIGALRM interrupts blocking socket calls);
        `needs` names earlier checks whose failure makes this one fail without
        running, so a missing feature costs one timeout, not one per check.
        """

        def run(fn):
            full = f"{self.name}/{name}"
            missing = [n for n in needs if n in self.failed]
            if missing:
                self.failed.add(name)
                self._emit(f"FAIL {full} not run: needs {', '.join(missing)}")
                return fn
            signal.setitimer(signal.ITIMER_REAL, timeout)
            try:
                fn()
            except BaseException as e:  # noqa: BLE001 - every failure is reported
                signal.setitimer(signal.ITIMER_REAL, 0)
                if isinstance(e, KeyboardInterrupt):
                    raise
                self.failed.add(name)
                self._emit(f"FAIL {full} {self._describe(e)}")
            else:
                signal.setitimer(signal.ITIMER_REAL, 0)
                self._emit(f"PASS {full}")
            return fn

        return run

    @staticmethod
    def _describe(e):
        # Name the line of the scenario file that failed: that is where a
        # reader starts.
        here = os.path.abspath(__file__)
        where = ""
        for frame in reversed(traceback.extract_tb(e.__traceback__)):
            path = os.path.abspath(frame.filename)
            if path != here and os.path.dirname(path) == os.path.dirname(here):
                where = f" ({os.path.basename(frame.filename)}:{frame.lineno})"
                break
        text = " ".join(str(e).split())
        if len(text) > 300:
            text = text[:300] + "..."
        return f"{type(e).__name__}: {text}{where}"

    def done(self):
        self._emit("DONE")
