"""Django with django-redis (Debian's python3-django, python3-django-redis)
against the server at E2E_HOST:E2E_PORT: the whole cache API and the
cache-backed session engine, configured in-process."""

import datetime
import decimal
import time

import django
from django.conf import settings

from e2elib import HOST, PORT, Scenario, eq, raises, redis_client, true

settings.configure(
    SECRET_KEY="e2e-not-secret",
    USE_TZ=True,
    INSTALLED_APPS=["django.contrib.sessions"],
    CACHES={
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            # Database 3, so the checks also prove SELECT works.
            "LOCATION": f"redis://{HOST}:{PORT}/3",
            "TIMEOUT": 300,
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                "SOCKET_CONNECT_TIMEOUT": 5,
                "SOCKET_TIMEOUT": 5,
            },
        },
        # The other serializer and a compressor, as settings often pick them.
        "json_zlib": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": f"redis://{HOST}:{PORT}/4",
            "KEY_PREFIX": "jz",
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                "SERIALIZER": "django_redis.serializers.json.JSONSerializer",
                "COMPRESSOR": "django_redis.compressors.zlib.ZlibCompressor",
                "SOCKET_CONNECT_TIMEOUT": 5,
                "SOCKET_TIMEOUT": 5,
            },
        },
    },
    SESSION_ENGINE="django.contrib.sessions.backends.cache",
    ALLOWED_HOSTS=["testserver"],
    SESSION_CACHE_ALIAS="default",
)
django.setup()

from django.contrib.sessions.backends.cache import SessionStore  # noqa: E402
from django.core.cache import cache, caches  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.test import RequestFactory  # noqa: E402
from django.views.decorators.cache import cache_page  # noqa: E402

s = Scenario("django")
raw = redis_client(db=3, decode_responses=False)


class Point:
    """A user-defined class: django-redis pickles it."""

    def __init__(self, x, y):
        self.x, self.y = x, y

    def __eq__(self, other):
        return isinstance(other, Point) and (self.x, self.y) == (other.x, other.y)


def poll(cond, seconds=5):
    deadline = time.monotonic() + seconds
    while not cond():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


@s.check("set-get")
def _():
    cache.clear()
    eq(cache.set("greeting", "hello"), True)
    eq(cache.get("greeting"), "hello")
    eq(cache.get("missing"), None)
    eq(cache.get("missing", "dflt"), "dflt")
    # Keys are "<prefix>:<version>:<key>" in the database named in LOCATION.
    eq(raw.exists(b":1:greeting"), 1)
    true(95_000 < raw.pttl(b":1:greeting") <= 300_000, "default TIMEOUT applied with PX")
    eq(cache.get_or_set("computed", lambda: 41 + 1), 42)
    eq(cache.get("computed"), 42)


@s.check("pickled-objects")
def _():
    values = {
        "dict": {"a": [1, 2, {"b": None}]},
        "tuple": (1, "two", 3.0),
        "datetime": datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc),
        "decimal": decimal.Decimal("3.14159"),
        "bytes": b"\x00\x01\xff",
        "object": Point(1, 2),
        "float": 2.5,
        "unicode": "żółw 🐢",
    }
    for k, v in values.items():
        cache.set(k, v)
    for k, v in values.items():
        eq(cache.get(k), v, k)
    # Integers are stored as plain numbers so that INCR works on them.
    cache.set("int", 42)
    eq(raw.get(b":1:int"), b"42")
    eq(cache.get("int"), 42)


@s.check("add")
def _():
    cache.delete("once")
    eq(cache.add("once", "first"), True)
    eq(cache.add("once", "second"), False)
    eq(cache.get("once"), "first")


@s.check("delete")
def _():
    for k in ("d1", "d2", "d3"):
        cache.set(k, 1)
    eq(bool(cache.delete("d1")), True)
    eq(bool(cache.delete("d1")), False)
    cache.delete_many(["d2", "d3", "nope"])
    eq(cache.get_many(["d1", "d2", "d3"]), {})


@s.check("get-set-many")
def _():
    eq(cache.set_many({"m1": "a", "m2": {"x": 1}, "m3": 3}, timeout=60) or [], [], "failed keys")
    eq(cache.get_many(["m1", "m2", "m3", "nope"]), {"m1": "a", "m2": {"x": 1}, "m3": 3})
    true(0 < cache.ttl("m2") <= 60, "set_many timeout")


@s.check("incr-decr")
def _():
    cache.set("counter", 10)
    eq(cache.incr("counter"), 11)
    eq(cache.incr("counter", 5), 16)
    eq(cache.decr("counter"), 15)
    eq(cache.decr("counter", 20), -5)
    eq(cache.get("counter"), -5)
    raises(ValueError, cache.incr, "no-such-counter")
    eq(cache.incr("fresh", 3, ignore_key_check=True), 3)
    # Past 64 bits INCRBY errors and django-redis falls back to GET + SET.
    cache.set("huge", 2**63 - 1)
    eq(cache.incr("huge"), 2**63)
    eq(cache.get("huge"), 2**63)


@s.check("incr-version")
def _():
    cache.set("versioned", "v1")
    eq(cache.incr_version("versioned"), 2)
    eq(cache.get("versioned", version=2), "v1")
    eq(cache.get("versioned"), None)
    eq(raw.exists(b":2:versioned"), 1)


@s.check("timeouts")
def _():
    eq(cache.set("forever", "v", timeout=None), True)
    eq(cache.ttl("forever"), None)
    eq(raw.ttl(b":1:forever"), -1)
    cache.set("zero", "v")
    # timeout=0 means "expire at once": django-redis deletes the key.
    eq(cache.set("zero", "v", timeout=0), True)
    eq(cache.get("zero"), None)
    eq(cache.has_key("zero"), False)
    cache.set("neg", "v", timeout=-1)
    eq(cache.get("neg"), None)
    cache.set("short", "v", timeout=0.1)
    true(poll(lambda: cache.get("short") is None), "key with a 0.1 s timeout never expired")


@s.check("ttl-expire-persist")
def _():
    cache.set("t", "v", timeout=100)
    true(95 <= cache.ttl("t") <= 100, "ttl")
    true(95_000 <= cache.pttl("t") <= 100_000, "pttl")
    eq(cache.ttl("nope"), 0)
    eq(cache.expire("t", 500), True)
    true(495 <= cache.ttl("t") <= 500, "ttl after expire")
    eq(cache.pexpire("t", 20_000), True)
    true(cache.ttl("t") <= 20, "ttl after pexpire")
    eq(cache.persist("t"), True)
    eq(cache.ttl("t"), None)
    at = datetime.datetime.now() + datetime.timedelta(seconds=1000)
    eq(cache.expire_at("t", at), True)
    true(990 <= cache.ttl("t") <= 1000, "ttl after expire_at")
    eq(cache.pexpire_at("t", at), True)
    true(990 <= cache.ttl("t") <= 1000, "ttl after pexpire_at")


@s.check("touch")
def _():
    cache.set("touched", "v", timeout=10)
    eq(cache.touch("touched", 300), True)
    true(295 <= cache.ttl("touched") <= 300, "ttl after touch")
    eq(cache.touch("touched", None), True)
    eq(cache.ttl("touched"), None)
    eq(cache.touch("nope", 10), False)


@s.check("keys-iter-delete-pattern")
def _():
    cache.clear()
    for i in range(250):
        cache.set(f"page:{i}", i)
    cache.set("other", 1)
    eq(sorted(cache.keys("page:1*")), sorted(f"page:{i}" for i in range(250) if str(i).startswith("1")))
    eq(len(cache.keys("*")), 251)
    eq(set(cache.iter_keys("page:*", itersize=40)), {f"page:{i}" for i in range(250)})
    eq(cache.delete_pattern("page:*", itersize=50), 250)
    eq(cache.keys("*"), ["other"])


@s.check("has-key")
def _():
    cache.set("present", None)
    eq(cache.has_key("present"), True)
    eq("present" in cache, True)
    eq(cache.has_key("absent"), False)


@s.check("lock")
def _():
    lock = cache.lock("critical", timeout=5)
    eq(lock.acquire(blocking=False), True)
    eq(cache.lock("critical").acquire(blocking=False), False, "second holder")
    lock.release()
    with cache.lock("critical", timeout=5, blocking_timeout=1):
        eq(raw.exists(b":1:critical"), 1)
    eq(raw.exists(b":1:critical"), 0)


@s.check("clear")
def _():
    cache.set("x", 1)
    raw_other = redis_client(db=0)
    raw_other.set("in-db0", "stays")
    cache.clear()
    eq(cache.get("x"), None)
    eq(raw.dbsize(), 0)
    eq(raw_other.get("in-db0"), "stays", "clear() flushes only its own database")


@s.check("json-serializer-zlib")
def _():
    jz = caches["json_zlib"]
    doc = {"items": list(range(500)), "name": "x" * 1000}
    eq(jz.set("doc", doc), True)
    eq(jz.get("doc"), doc)
    stored = redis_client(db=4, decode_responses=False).get(b"jz:1:doc")
    true(stored is not None and len(stored) < 1000, f"value stored zlib-compressed ({len(stored or b'')} bytes)")
    eq(jz.get_many(["doc", "nope"]), {"doc": doc})
    jz.set("n", 5)
    eq(jz.incr("n", 2), 7)


@s.check("cache-page-view")
def _():
    calls = []

    @cache_page(60)
    def view(request):
        calls.append(request.GET.get("q"))
        return HttpResponse(f"rendered {len(calls)}")

    rf = RequestFactory()
    first = view(rf.get("/page", {"q": "a"}))
    eq(first.content, b"rendered 1")
    again = view(rf.get("/page", {"q": "a"}))
    eq(again.content, b"rendered 1", "second response comes from the cache")
    other = view(rf.get("/page", {"q": "b"}))
    eq(other.content, b"rendered 2", "another query string is another cache entry")
    eq(calls, ["a", "b"])
    true(any("views.decorators.cache.cache_page" in k for k in cache.keys("*")), "cache_page keys")


@s.check("session-create-load")
def _():
    store = SessionStore()
    store["user_id"] = 7
    store["cart"] = {"sku": [1, 2]}
    store.create()
    key = store.session_key
    true(key and len(key) == 32, f"session key {key!r}")
    eq(raw.exists(f":1:django.contrib.sessions.cache{key}".encode()), 1)
    loaded = SessionStore(session_key=key)
    eq(loaded["user_id"], 7)
    eq(loaded["cart"], {"sku": [1, 2]})
    eq(SessionStore().exists(key), True)


@s.check("session-save-modify")
def _():
    store = SessionStore()
    store["n"] = 1
    store.save()
    key = store.session_key
    again = SessionStore(session_key=key)
    again["n"] += 1
    again.save()
    eq(SessionStore(session_key=key)["n"], 2)
    again.cycle_key()
    eq(SessionStore().exists(key), False, "old key after cycle_key")
    eq(SessionStore(session_key=again.session_key)["n"], 2)
    again.delete()
    eq(SessionStore().exists(again.session_key), False)
    eq(SessionStore(session_key="x" * 32).load(), {}, "unknown session loads empty")


@s.check("session-expiry")
def _():
    store = SessionStore()
    store["v"] = "soon gone"
    store.set_expiry(300)
    store.create()
    ttl = raw.ttl(f":1:django.contrib.sessions.cache{store.session_key}".encode())
    true(295 <= ttl <= 300, f"session TTL {ttl}")
    short = SessionStore()
    short["v"] = 1
    short.set_expiry(1)
    short.save()
    key = short.session_key
    eq(SessionStore().exists(key), True)
    true(poll(lambda: not SessionStore().exists(key), seconds=6), "session with 1 s expiry never expired")
    eq(SessionStore(session_key=key).load(), {})


s.done()
