"""redis-py (Debian's python3-redis, with hiredis when installed) against the
server at E2E_HOST:E2E_PORT: every data type's common commands, pipelines,
transactions with WATCH, pub/sub, Lock, scan_iter/hscan_iter, both reply
parsers. The packaged redis-py (4.3) speaks RESP2 only; RESP3 is covered by
the go-redis and node-redis scenarios."""

import threading
import time

import redis
from redis.connection import HiredisParser, PythonParser
from redis.exceptions import AuthenticationError, LockError, NoScriptError, ResponseError, WatchError

from e2elib import HOST, PORT, Scenario, eq, raises, redis_client, true

s = Scenario("redis-py")


def fresh(**kw):
    r = redis_client(**kw)
    r.flushall()
    return r


@s.check("connect")
def _():
    r = fresh()
    eq(r.ping(), True)
    eq(r.echo("hi"), "hi")
    info = r.info("server")
    eq(info["redis_version"].split(".")[0], "7", "major version")
    eq(r.info()["loading"], 0, "loading")
    eq(r.config_get("maxmemory-policy"), {"maxmemory-policy": "noeviction"})
    eq(r.client_setname("e2e-py"), True)
    eq(r.client_getname(), "e2e-py")
    names = [c["name"] for c in r.client_list()]
    true("e2e-py" in names, f"CLIENT LIST names {names}")
    true(isinstance(r.client_id(), int), "CLIENT ID")
    true(r.time()[0] > 1_600_000_000, "TIME")


@s.check("select-db")
def _():
    r0 = fresh()
    r1 = redis_client(db=1)
    r0.set("where", "db0")
    r1.set("where", "db1")
    eq(r0.get("where"), "db0")
    eq(r1.get("where"), "db1")
    eq(r1.dbsize(), 1)
    eq(r0.move("where", 1), False, "MOVE onto an existing key")
    r1.flushdb()
    eq(r0.get("where"), "db0", "FLUSHDB touches one db")


@s.check("auth")
def _():
    admin = fresh()
    admin.config_set("requirepass", "s3cret")
    try:
        authed = redis_client(password="s3cret")
        eq(authed.ping(), True)
        anon = redis_client()
        raises(AuthenticationError, anon.ping)
        wrong = redis_client(password="nope")
        raises((AuthenticationError, ResponseError), wrong.ping, contains="WRONGPASS")
    finally:
        redis_client(password="s3cret").config_set("requirepass", "")
    eq(redis_client().ping(), True, "after clearing requirepass")


@s.check("strings")
def _():
    r = fresh()
    eq(r.set("s", "v"), True)
    eq(r.get("s"), "v")
    eq(r.set("s", "w", nx=True), None)
    eq(r.set("s", "w", xx=True, get=True), "v")
    eq(r.setnx("s", "x"), False)
    eq(r.mset({"a": "1", "b": "2"}), True)
    eq(r.mget("a", "b", "missing"), ["1", "2", None])
    eq(r.msetnx({"a": "9", "c": "3"}), False)
    eq(r.incr("a"), 2)
    eq(r.incrby("a", 10), 12)
    eq(r.decr("a"), 11)
    eq(r.decrby("a", 5), 6)
    eq(r.incrbyfloat("f", 1.5), 1.5)
    eq(r.incrbyfloat("f", "0.1"), 1.6)
    eq(r.append("s", "xyz"), 4)
    eq(r.strlen("s"), 4)
    eq(r.getrange("s", 1, 2), "xy")
    eq(r.setrange("s", 1, "AB"), 4)
    eq(r.get("s"), "wABz")
    eq(r.getset("s", "new"), "wABz")
    eq(r.getdel("s"), "new")
    eq(r.get("s"), None)
    eq(r.lcs("a", "b"), "", "LCS")
    raises(ResponseError, r.incr, "f", contains="value is not an integer or out of range")


@s.check("binary-and-large-values")
def _():
    r = redis_client(decode_responses=False)
    blob = bytes(range(256)) * 4096  # 1 MiB with every byte value, \r\n included
    eq(r.set(b"bin\x00key", blob), True)
    eq(r.get(b"bin\x00key"), blob)
    eq(r.strlen(b"bin\x00key"), len(blob))
    eq(r.get(b"\xff\xfe"), None)


@s.check("keys")
def _():
    r = fresh()
    r.mset({"user:1": "a", "user:2": "b", "other": "c"})
    eq(sorted(r.keys("user:*")), ["user:1", "user:2"])
    eq(r.exists("user:1", "user:2", "nope"), 2)
    eq(r.type("user:1"), "string")
    eq(r.type("nope"), "none")
    eq(r.rename("other", "renamed"), True)
    eq(r.renamenx("renamed", "user:1"), False)
    eq(r.copy("renamed", "copied"), True)
    eq(r.get("copied"), "c")
    eq(r.dbsize(), 4)
    true(r.randomkey() in {"user:1", "user:2", "renamed", "copied"}, "RANDOMKEY")
    eq(r.delete("user:1", "nope"), 1)
    eq(r.unlink("user:2"), 1)
    eq(r.touch("renamed", "copied"), 2)
    eq(r.object("encoding", "renamed"), "embstr")
    raises(ResponseError, r.rename, "nope", "x", contains="no such key")


@s.check("expiry")
def _():
    r = fresh()
    r.set("e", "v", ex=100)
    true(95 <= r.ttl("e") <= 100, "TTL after SET EX")
    true(99_000 <= r.pttl("e") <= 100_000, "PTTL")
    eq(r.persist("e"), True)
    eq(r.ttl("e"), -1)
    eq(r.ttl("missing"), -2)
    eq(r.expire("e", 50), True)
    eq(r.expire("e", 60, gt=True), True)
    eq(r.expire("e", 10, gt=True), False)
    eq(r.pexpire("e", 500_000), True)
    at = int(time.time()) + 1000
    eq(r.expireat("e", at), True)
    eq(r.expiretime("e"), at)
    eq(r.pexpireat("e", at * 1000 + 5), True)
    eq(r.setex("x", 30, "v"), True)
    eq(r.psetex("y", 30_000, "v"), True)
    eq(r.getex("x", persist=True), "v")
    eq(r.ttl("x"), -1)
    # A past expiry deletes at once; poll with a deadline for the short one.
    eq(r.expire("y", -1), True)
    eq(r.exists("y"), 0)
    r.set("short", "v", px=50)
    deadline = time.monotonic() + 5
    while r.exists("short") and time.monotonic() < deadline:
        time.sleep(0.01)
    eq(r.get("short"), None, "key with PX 50 after its expiry")


@s.check("scan-iter")
def _():
    r = fresh()
    with r.pipeline(transaction=False) as p:
        for i in range(600):
            p.set(f"scan:{i}", i)
        p.set("skip:me", 1)
        p.execute()
    seen = set(r.scan_iter(match="scan:*", count=50))
    eq(len(seen), 600)
    eq(seen, {f"scan:{i}" for i in range(600)})
    eq(set(r.scan_iter(_type="string", match="skip:*")), {"skip:me"})


@s.check("pipeline")
def _():
    r = fresh()
    p = r.pipeline(transaction=False)
    p.set("p1", "a").incr("p2").incr("p2").get("p1").mget("p1", "p2").get("nope")
    eq(p.execute(), [True, 1, 2, "a", ["a", "2"], None])
    # An error inside a pipeline is returned in place, the rest still runs.
    p = r.pipeline(transaction=False)
    p.set("str", "x").incr("str").get("str")
    res = p.execute(raise_on_error=False)
    eq(res[0], True)
    true(isinstance(res[1], ResponseError), f"INCR on a string in a pipeline gave {res[1]!r}")
    eq(res[2], "x")
    # A large pipeline, as bulk loaders send.
    p = r.pipeline(transaction=False)
    for i in range(5000):
        p.set(f"bulk:{i}", "v" * 20)
    eq(p.execute(), [True] * 5000)
    eq(r.dbsize(), 5003)


@s.check("hashes")
def _():
    r = fresh()
    eq(r.hset("h", mapping={"a": "1", "b": "2", "c": "3"}), 3)
    eq(r.hset("h", "a", "10"), 0)
    eq(r.hget("h", "a"), "10")
    eq(r.hmget("h", ["a", "b", "nope"]), ["10", "2", None])
    eq(r.hgetall("h"), {"a": "10", "b": "2", "c": "3"})
    eq(r.hlen("h"), 3)
    eq(r.hexists("h", "b"), True)
    eq(r.hsetnx("h", "b", "x"), False)
    eq(r.hincrby("h", "a", 5), 15)
    eq(r.hincrbyfloat("h", "f", 0.5), 0.5)
    eq(sorted(r.hkeys("h")), ["a", "b", "c", "f"])
    eq(sorted(r.hvals("h")), ["0.5", "15", "2", "3"])
    eq(r.hstrlen("h", "a"), 2)
    eq(r.hdel("h", "a", "nope"), 1)
    true(r.hrandfield("h") in {"b", "c", "f"}, "HRANDFIELD")
    eq(r.type("h"), "hash")
    raises(ResponseError, r.get, "h", contains="WRONGTYPE Operation against a key holding the wrong kind of value")


@s.check("hscan-iter")
def _():
    r = fresh()
    r.hset("big", mapping={f"f{i}": i for i in range(700)})
    got = dict(r.hscan_iter("big", match="f1*", count=100))
    want = {f"f{i}": str(i) for i in range(700) if str(i).startswith("1")}
    eq(got, want)


@s.check("lists")
def _():
    r = fresh()
    eq(r.rpush("l", "a", "b", "c"), 3)
    eq(r.lpush("l", "z"), 4)
    eq(r.lrange("l", 0, -1), ["z", "a", "b", "c"])
    eq(r.llen("l"), 4)
    eq(r.lindex("l", -1), "c")
    eq(r.lset("l", 0, "y"), True)
    eq(r.linsert("l", "before", "b", "x"), 5)
    eq(r.lpos("l", "b"), 3)
    eq(r.lrem("l", 0, "x"), 1)
    eq(r.ltrim("l", 0, 2), True)
    eq(r.lrange("l", 0, -1), ["y", "a", "b"])
    eq(r.lpop("l"), "y")
    eq(r.rpop("l", 2), ["b", "a"])
    eq(r.exists("l"), 0, "empty list is deleted")
    r.rpush("src", "1", "2", "3")
    eq(r.rpoplpush("src", "dst"), "3")
    eq(r.lmove("src", "dst", "LEFT", "RIGHT"), "1")
    eq(r.lrange("dst", 0, -1), ["3", "1"])
    eq(r.lpushx("nope", "v"), 0)


@s.check("lists-blocking")
def _():
    r = fresh()
    r.rpush("q", "ready")
    eq(r.blpop(["empty", "q"], timeout=1), ("q", "ready"))
    started = time.monotonic()
    eq(r.brpop(["empty"], timeout=0.2), None, "BRPOP timeout")
    true(time.monotonic() - started < 3, "BRPOP returned near its timeout")
    waiter = redis_client()
    result = {}

    def pop():
        result["v"] = waiter.brpop(["wake"], timeout=4)

    t = threading.Thread(target=pop)
    t.start()
    # Push once the other client is blocked, as seen by the server.
    deadline = time.monotonic() + 5
    while r.info("clients")["blocked_clients"] < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    eq(r.info("clients")["blocked_clients"], 1, "blocked_clients")
    r.lpush("wake", "hello")
    t.join(6)
    eq(result.get("v"), ("wake", "hello"))
    r.rpush("m", "x")
    eq(r.blmove("m", "n", 1, "RIGHT", "LEFT"), "x")


@s.check("sets")
def _():
    r = fresh()
    eq(r.sadd("s1", "a", "b", "c"), 3)
    eq(r.sadd("s2", "b", "c", "d"), 3)
    eq(r.smembers("s1"), {"a", "b", "c"})
    eq(r.sismember("s1", "a"), True)
    eq(r.smismember("s1", ["a", "d"]), [1, 0])
    eq(r.scard("s1"), 3)
    eq(r.sinter("s1", "s2"), {"b", "c"})
    eq(r.sunion("s1", "s2"), {"a", "b", "c", "d"})
    eq(r.sdiff("s1", "s2"), {"a"})
    eq(r.sinterstore("si", ["s1", "s2"]), 2)
    eq(r.sunionstore("su", ["s1", "s2"]), 4)
    eq(r.sdiffstore("sd", ["s1", "s2"]), 1)
    eq(r.sintercard(2, ["s1", "s2"]), 2)
    eq(r.smove("s1", "s2", "a"), True)
    eq(r.srem("s2", "a", "zz"), 1)
    true(r.spop("su") in {"a", "b", "c", "d"}, "SPOP")
    true(r.srandmember("s2") in {"b", "c", "d"}, "SRANDMEMBER")
    eq(len(r.srandmember("s2", -5)), 5, "SRANDMEMBER with negative count repeats")
    r.sadd("ints", *range(300))
    eq(set(r.sscan_iter("ints", count=50)), {str(i) for i in range(300)})


@s.check("sorted-sets")
def _():
    r = fresh()
    eq(r.zadd("z", {"a": 1, "b": 2, "c": 3}), 3)
    eq(r.zadd("z", {"a": 5}, gt=True, ch=True), 1)
    eq(r.zscore("z", "a"), 5.0)
    eq(r.zrange("z", 0, -1, withscores=True), [("b", 2.0), ("c", 3.0), ("a", 5.0)])
    eq(r.zrange("z", 0, -1, desc=True), ["a", "c", "b"])
    eq(r.zrangebyscore("z", 2, "(5"), ["b", "c"])
    eq(r.zrevrangebyscore("z", "+inf", "-inf", start=0, num=1), ["a"])
    eq(r.zrange("z", "(2", "+inf", byscore=True, offset=0, num=1), ["c"])
    eq(r.zrevrange("z", 0, 0), ["a"])
    eq(r.zrank("z", "c"), 1)
    eq(r.zrevrank("z", "c"), 1)
    eq(r.zcard("z"), 3)
    eq(r.zcount("z", "-inf", "+inf"), 3)
    eq(r.zincrby("z", 1.5, "b"), 3.5)
    eq(r.zmscore("z", ["b", "nope"]), [3.5, None])
    eq(r.zpopmin("z"), [("c", 3.0)])
    eq(r.zpopmax("z"), [("a", 5.0)])
    r.zadd("lex", {"a": 0, "b": 0, "c": 0, "d": 0})
    eq(r.zrangebylex("lex", "[b", "(d"), ["b", "c"])
    eq(r.zremrangebyscore("lex", 0, 0), 4)
    r.zadd("r", {str(i): i for i in range(10)})
    eq(r.zremrangebyrank("r", 0, 4), 5)
    eq(r.zrangestore("r2", "r", 0, 1), 2)
    r.zadd("u", {"x": 1})
    eq(r.zunionstore("out", ["r2", "u"]), 3)
    eq(r.zinterstore("out2", {"r": 2, "r2": 1}), 2)
    eq(r.zrange("out2", 0, -1, withscores=True), [("5", 15.0), ("6", 18.0)])
    eq(r.zrem("out", "x"), 1)
    eq(r.bzpopmin(["empty", "out"], timeout=0.5), ("out", "5", 5.0))
    eq(r.bzpopmin(["empty"], timeout=0.1), None)
    eq(set(m for m, _ in r.zscan_iter("r", count=2)), {"5", "6", "7", "8", "9"})


@s.check("sort")
def _():
    r = fresh()
    r.rpush("ids", 3, 1, 2)
    r.mset({"w_1": 30, "w_2": 10, "w_3": 20, "name_1": "one", "name_2": "two", "name_3": "three"})
    eq(r.sort("ids"), ["1", "2", "3"])
    eq(r.sort("ids", by="w_*", get="name_*"), ["two", "three", "one"])
    eq(r.sort("ids", desc=True, start=0, num=2), ["3", "2"])
    eq(r.sort("ids", store="sorted"), 3)
    eq(r.lrange("sorted", 0, -1), ["1", "2", "3"])


@s.check("bitmaps")
def _():
    r = fresh()
    eq(r.setbit("b", 7, 1), 0)
    eq(r.getbit("b", 7), 1)
    eq(r.get("b"), "\x01")
    r.set("k", "foobar")
    eq(r.bitcount("k"), 26)
    eq(r.bitcount("k", 1, 1), 6)
    eq(r.bitpos("k", 1), 1)
    r.set("x", "abc")
    eq(r.bitop("AND", "dest", "k", "x"), 6)
    bf = r.bitfield("bf")
    eq(bf.set("u8", 0, 200).incrby("u8", 0, 100, overflow="SAT").get("u4", 0).execute(), [0, 255, 15])


@s.check("hyperloglog")
def _():
    r = fresh()
    eq(r.pfadd("h1", *[f"a{i}" for i in range(1000)]), 1)
    count = r.pfcount("h1")
    true(980 <= count <= 1020, f"PFCOUNT {count} not within 2% of 1000")
    r.pfadd("h2", *[f"b{i}" for i in range(1000)])
    eq(r.pfmerge("h3", "h1", "h2"), True)
    true(1960 <= r.pfcount("h3") <= 2040, "PFCOUNT after PFMERGE")


@s.check("geo")
def _():
    r = fresh()
    eq(r.geoadd("sicily", [13.361389, 38.115556, "Palermo", 15.087269, 37.502669, "Catania"]), 2)
    eq(r.geodist("sicily", "Palermo", "Catania", unit="km"), 166.2742)
    lon, lat = r.geopos("sicily", "Palermo")[0]
    true(abs(lon - 13.361389) < 1e-5 and abs(lat - 38.115556) < 1e-5, f"GEOPOS {lon},{lat}")
    eq(r.geosearch("sicily", longitude=15, latitude=37, radius=100, unit="km", sort="ASC"), ["Catania"])
    eq(r.geohash("sicily", "Palermo"), ["sqc8b49rny0"])


@s.check("streams")
def _():
    r = fresh()
    i1 = r.xadd("st", {"f": "1"})
    i2 = r.xadd("st", {"f": "2"}, maxlen=1000, approximate=True)
    eq(r.xlen("st"), 2)
    eq([fields for _, fields in r.xrange("st")], [{"f": "1"}, {"f": "2"}])
    eq(r.xrevrange("st", count=1)[0][0], i2)
    eq(r.xread({"st": i1}), [["st", [(i2, {"f": "2"})]]])
    eq(r.xgroup_create("st", "g", id="0"), True)
    got = r.xreadgroup("g", "c1", {"st": ">"}, count=10)
    eq([i for i, _ in got[0][1]], [i1, i2])
    eq(r.xpending("st", "g")["pending"], 2)
    eq(r.xack("st", "g", i1), 1)
    eq(r.xdel("st", i1), 1)
    eq(r.xtrim("st", maxlen=0), 1)
    started = time.monotonic()
    eq(r.xread({"st": "$"}, block=100), [])
    true(time.monotonic() - started < 3, "XREAD BLOCK returned near its timeout")
    eq(r.xinfo_stream("st")["length"], 0)


@s.check("transaction")
def _():
    r = fresh()
    p = r.pipeline()  # transaction=True: MULTI ... EXEC
    p.set("t", 1).incr("t").get("t")
    eq(p.execute(), [True, 2, "2"])
    # An error queued by EXEC does not stop the other commands.
    p = r.pipeline()
    p.set("t2", "x").incr("t2").set("t3", "y")
    res = p.execute(raise_on_error=False)
    true(isinstance(res[1], ResponseError), f"INCR inside MULTI gave {res[1]!r}")
    eq(r.mget("t2", "t3"), ["x", "y"])


@s.check("watch")
def _():
    r = fresh()
    other = redis_client()
    r.set("balance", 10)
    with r.pipeline() as p:
        p.watch("balance")
        cur = int(p.get("balance"))
        other.set("balance", 99)  # a concurrent write between WATCH and EXEC
        p.multi()
        p.set("balance", cur + 1)
        raises(WatchError, p.execute)
    eq(r.get("balance"), "99")

    def add_one(pipe):
        cur = int(pipe.get("balance"))
        pipe.multi()
        pipe.set("balance", cur + 1)

    eq(r.transaction(add_one, "balance"), [True])
    eq(r.get("balance"), "100")


@s.check("pubsub")
def _():
    r = fresh()
    ps = r.pubsub()
    ps.subscribe("news")
    ps.psubscribe("ev.*")
    got = []
    deadline = time.monotonic() + 5
    while len(got) < 2 and time.monotonic() < deadline:
        m = ps.get_message(timeout=0.5)
        if m:
            got.append((m["type"], m["channel"]))
    eq(got, [("subscribe", "news"), ("psubscribe", "ev.*")])
    eq(r.pubsub_numsub("news"), [("news", 1)])
    eq(r.pubsub_numpat(), 1)
    eq(r.publish("news", "hello"), 1)
    eq(r.publish("ev.login", "bob"), 1)
    msgs = []
    while len(msgs) < 2 and time.monotonic() < deadline:
        m = ps.get_message(ignore_subscribe_messages=True, timeout=0.5)
        if m:
            msgs.append((m["type"], m["pattern"], m["channel"], m["data"]))
    eq(msgs, [("message", None, "news", "hello"), ("pmessage", "ev.*", "ev.login", "bob")])
    ps.unsubscribe()
    ps.punsubscribe()
    ps.close()
    deadline = time.monotonic() + 5
    while r.pubsub_numpat() and time.monotonic() < deadline:
        time.sleep(0.01)
    eq(r.publish("news", "nobody"), 0)


@s.check("pubsub-thread")
def _():
    r = fresh()
    received = []
    done = threading.Event()

    def handler(msg):
        received.append(msg["data"])
        if len(received) == 3:
            done.set()

    ps = r.pubsub(ignore_subscribe_messages=True)
    ps.subscribe(**{"jobs": handler})
    worker = ps.run_in_thread(sleep_time=0.05, daemon=True)
    try:
        deadline = time.monotonic() + 5
        while r.pubsub_numsub("jobs")[0][1] < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        for i in range(3):
            r.publish("jobs", f"j{i}")
        true(done.wait(5), f"handler got {received}")
        eq(received, ["j0", "j1", "j2"])
    finally:
        worker.stop()
        worker.join(5)


@s.check("keyspace-notifications")
def _():
    r = fresh()
    eq(r.config_set("notify-keyspace-events", "KEA"), True)
    try:
        ps = r.pubsub(ignore_subscribe_messages=True)
        ps.psubscribe("__keyspace@0__:watched*", "__keyevent@0__:expired")
        deadline = time.monotonic() + 5
        while r.pubsub_numpat() < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        r.set("watched:1", "v")
        r.expire("watched:1", 100)
        r.delete("watched:1")
        r.set("gone", "v", px=20)
        got = []
        while len(got) < 4 and time.monotonic() < deadline:
            m = ps.get_message(timeout=0.5)
            if m:
                got.append((m["channel"], m["data"]))
        eq(
            got,
            [
                ("__keyspace@0__:watched:1", "set"),
                ("__keyspace@0__:watched:1", "expire"),
                ("__keyspace@0__:watched:1", "del"),
                ("__keyevent@0__:expired", "gone"),
            ],
        )
        ps.close()
    finally:
        r.config_set("notify-keyspace-events", "")


@s.check("scripting")
def _():
    r = fresh()
    eq(r.eval("return redis.call('SET', KEYS[1], ARGV[1])", 1, "k", "v"), "OK")
    eq(r.eval("return {KEYS[1], ARGV[1], 3}", 1, "a", "b"), ["a", "b", 3])
    sha = r.script_load("return tonumber(ARGV[1]) * 2")
    eq(r.evalsha(sha, 0, 21), 42)
    eq(r.script_exists(sha), [True])
    raises(NoScriptError, r.evalsha, "0" * 40, 0)
    incr = r.register_script("return redis.call('INCRBY', KEYS[1], ARGV[1])")
    eq(incr(keys=["n"], args=[5]), 5)
    r.script_flush()
    eq(incr(keys=["n"], args=[5]), 10, "registered script after SCRIPT FLUSH")
    eq(r.eval("return cjson.encode({a=1})", 0), '{"a":1}')


@s.check("functions")
def _():
    r = fresh()
    code = "#!lua name=e2elib\nredis.register_function('double', function(keys, args) return args[1] * 2 end)"
    eq(r.function_load(code), "e2elib")
    eq(r.fcall("double", 0, 21), 42)
    eq(r.function_delete("e2elib"), True)


@s.check("lock")
def _():
    r = fresh()
    lock = r.lock("resource", timeout=5)
    eq(lock.acquire(blocking=False), True)
    eq(r.lock("resource").acquire(blocking=False), False, "second holder")
    eq(lock.locked(), True)
    eq(lock.owned(), True)
    eq(lock.extend(10), True)
    true(r.pttl("resource") > 5000, "PTTL after extend")
    eq(lock.reacquire(), True)
    lock.release()
    eq(r.exists("resource"), 0)
    raises(LockError, lock.release)
    with r.lock("ctx", timeout=5, blocking_timeout=1):
        eq(r.exists("ctx"), 1)
    eq(r.exists("ctx"), 0)


@s.check("sidekiq-scheduler")
def _():
    # The script Sidekiq's scheduler (Sidekiq::Scheduled::Enq) loads and
    # runs with EVALSHA to move due jobs from the "schedule" and "retry"
    # sorted sets: pop one member with a score up to now, if any.
    r = fresh()
    zpopbyscore = r.register_script(
        "local key, now = KEYS[1], ARGV[1]\n"
        "local jobs = redis.call(\"zrangebyscore\", key, \"-inf\", now, \"limit\", 0, 1)\n"
        "if jobs[1] then\n"
        "  redis.call(\"zrem\", key, jobs[1])\n"
        "  return jobs[1]\n"
        "end\n"
    )
    r.zadd("schedule", {'{"jid":"a"}': 100.5, '{"jid":"b"}': 200.25, '{"jid":"c"}': 9e9})
    eq(zpopbyscore(keys=["schedule"], args=["150"]), '{"jid":"a"}')
    eq(zpopbyscore(keys=["schedule"], args=["150"]), None, "nothing due")
    eq(zpopbyscore(keys=["schedule"], args=["1000.0"]), '{"jid":"b"}')
    eq(r.zcard("schedule"), 1)
    eq(zpopbyscore(keys=["retry"], args=["1000"]), None, "missing key")


@s.check("python-parser")
def _():
    pool = redis.ConnectionPool(
        host=HOST, port=PORT, parser_class=PythonParser, socket_timeout=5, decode_responses=True
    )
    r = redis.Redis(connection_pool=pool)
    r.flushall()
    eq(r.set("k", "line1\r\nline2"), True)
    eq(r.get("k"), "line1\r\nline2")
    eq(r.mget("k", "nope"), ["line1\r\nline2", None])
    eq(r.incr("n"), 1)
    raises(ResponseError, r.execute_command, "NOSUCHCOMMAND", contains="unknown command")
    eq(r.execute_command("CONFIG", "GET", "port"), ["port", str(PORT)])


@s.check("hiredis-parser")
def _():
    import hiredis  # noqa: F401 - the parser needs it

    pool = redis.ConnectionPool(
        host=HOST, port=PORT, parser_class=HiredisParser, socket_timeout=5, decode_responses=True
    )
    r = redis.Redis(connection_pool=pool)
    r.flushall()
    eq(r.set("k", "é" * 1000), True)
    eq(r.get("k"), "é" * 1000)
    eq(r.mget("k", "nope"), ["é" * 1000, None])
    raises(ResponseError, r.execute_command, "NOSUCHCOMMAND", contains="unknown command")


s.done()
