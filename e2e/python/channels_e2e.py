"""Django Channels layers from channels_redis (Debian's python3-channels-redis)
against the server at E2E_HOST:E2E_PORT: RedisChannelLayer (sorted sets,
Lua with numkeys 0, BZPOPMIN) and RedisPubSubChannelLayer (pub/sub), both
asyncio. Every check runs in its own event loop with its own layer."""

import asyncio
import time

from channels.exceptions import ChannelFull
from channels_redis.core import RedisChannelLayer
from channels_redis.pubsub import RedisPubSubChannelLayer

from e2elib import HOST, PORT, Scenario, eq, redis_client, true

s = Scenario("channels")
raw = redis_client()
# socket_timeout bounds every call of the layers' own connections.
URL = f"redis://{HOST}:{PORT}/0?socket_timeout=5&socket_connect_timeout=5"
LIMIT = 10  # seconds for one check's coroutine


def core_layer(**kw):
    layer = RedisChannelLayer(hosts=[{"address": URL}], **kw)
    # BZPOPMIN blocks this long per round; below the socket timeout.
    layer.brpop_timeout = 1
    return layer


def run(make_coro, layer):
    async def main():
        try:
            await asyncio.wait_for(make_coro(layer), LIMIT)
        finally:
            if isinstance(layer, RedisChannelLayer):
                await layer.close_pools()
            else:
                await asyncio.wait_for(layer.flush(), 5)

    raw.flushall()
    asyncio.run(main())


async def subscribed(channel, count=1):
    """Waits until the server counts `count` subscribers of `channel`: the
    pub/sub layer sends SUBSCRIBE without waiting for its confirmation, and
    a PUBLISH on another connection could otherwise overtake it."""
    deadline = time.monotonic() + 5
    while raw.pubsub_numsub(channel)[0][1] < count and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    eq(raw.pubsub_numsub(channel), [(channel, count)], "PUBSUB NUMSUB")


async def nothing_arrives(layer, channel, marker):
    """Proves no message is queued ahead of `marker` on `channel`: a receive
    left pending would have to be cancelled, which takes a timeout."""
    await layer.send(channel, {"type": "marker", "v": marker})
    eq(await layer.receive(channel), {"type": "marker", "v": marker}, "next message")


@s.check("layer-send-receive")
def _():
    async def t(layer):
        await layer.send("test-channel", {"type": "test.message", "text": "hi", "n": [1, 2]})
        eq(await layer.receive("test-channel"), {"type": "test.message", "text": "hi", "n": [1, 2]})
        # The channel is a sorted set named prefix + channel (no separator).
        await layer.send("test-channel", {"type": "again"})
        eq(raw.type("asgitest-channel"), "zset")
        eq(await layer.receive("test-channel"), {"type": "again"})

    run(t, core_layer())


@s.check("layer-ordering")
def _():
    async def t(layer):
        for i in range(50):
            await layer.send("ordered", {"type": "n", "i": i})
        got = [(await layer.receive("ordered"))["i"] for _ in range(50)]
        eq(got, list(range(50)))

    run(t, core_layer())


@s.check("layer-new-channel")
def _():
    async def t(layer):
        a = await layer.new_channel()
        b = await layer.new_channel()
        true(a.startswith("specific.") and "!" in a and a != b, f"channel names {a!r} {b!r}")
        await layer.send(b, {"type": "to.b"})
        await layer.send(a, {"type": "to.a"})
        eq(await layer.receive(a), {"type": "to.a"})
        eq(await layer.receive(b), {"type": "to.b"})

    run(t, core_layer())


@s.check("layer-receive-waits")
def _():
    async def t(layer):
        # A receive that starts before the send must block (BZPOPMIN) and wake.
        task = asyncio.ensure_future(layer.receive("later"))
        await asyncio.sleep(0)  # let the receive start
        deadline = time.monotonic() + 5
        while raw.info("clients")["blocked_clients"] < 1 and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        await layer.send("later", {"type": "late"})
        eq(await asyncio.wait_for(task, 5), {"type": "late"})

    run(t, core_layer())


@s.check("layer-groups")
def _():
    async def t(layer):
        a = await layer.new_channel()
        b = await layer.new_channel()
        await layer.group_add("room", a)
        await layer.group_add("room", b)
        eq(raw.zcard("asgi:group:room"), 2)
        true(0 < raw.ttl("asgi:group:room") <= 86400, "group key has the group expiry")
        await layer.group_send("room", {"type": "chat", "text": "all"})
        eq(await layer.receive(a), {"type": "chat", "text": "all"})
        eq(await layer.receive(b), {"type": "chat", "text": "all"})
        await layer.group_discard("room", b)
        await layer.group_send("room", {"type": "chat", "text": "only a"})
        eq(await layer.receive(a), {"type": "chat", "text": "only a"})
        await nothing_arrives(layer, b, "b-marker")

    run(t, core_layer())


@s.check("layer-capacity")
def _():
    async def t(layer):
        await layer.send("small", {"type": "1"})
        await layer.send("small", {"type": "2"})
        with_error = False
        try:
            await layer.send("small", {"type": "3"})
        except ChannelFull:
            with_error = True
        true(with_error, "third send into a capacity-2 channel did not raise ChannelFull")
        eq(await layer.receive("small"), {"type": "1"})
        await layer.send("small", {"type": "3"})  # room again
        eq(raw.zcard("asgismall"), 2)

    run(t, core_layer(capacity=2))


@s.check("layer-expiry")
def _():
    async def t(layer):
        await layer.send("fading", {"type": "old"})
        pttl = raw.pttl("asgifading")
        true(0 < pttl <= 2000, f"channel key has the layer's expiry, PTTL {pttl}")
        deadline = time.monotonic() + 8
        while raw.exists("asgifading") and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        eq(raw.exists("asgifading"), 0, "expired channel key")
        await layer.send("fading", {"type": "new"})
        eq(await layer.receive("fading"), {"type": "new"})

    run(t, core_layer(expiry=2))


@s.check("layer-flush")
def _():
    async def t(layer):
        await layer.send("x", {"type": "x"})
        await layer.group_add("g", "x")
        raw.set("unrelated", "1")
        await layer.flush()
        eq(raw.keys("asgi*"), [])
        eq(raw.get("unrelated"), "1")

    run(t, core_layer())


@s.check("pubsub-send-receive")
def _():
    async def t(layer):
        name = await layer.new_channel()
        true(name.startswith("asgispecific."), f"channel name {name!r}")
        await subscribed(name)
        await layer.send(name, {"type": "ps.message", "text": "hello"})
        eq(await layer.receive(name), {"type": "ps.message", "text": "hello"})
        for i in range(5):
            await layer.send(name, {"type": "n", "i": i})
        eq([(await layer.receive(name))["i"] for _ in range(5)], list(range(5)))

    run(t, RedisPubSubChannelLayer(hosts=[URL]))


@s.check("pubsub-groups")
def _():
    async def t(layer):
        a = await layer.new_channel()
        b = await layer.new_channel()
        await layer.group_add("lobby", a)
        await layer.group_add("lobby", b)
        await subscribed("asgi__group__lobby")
        await subscribed(a)
        await subscribed(b)
        await layer.group_send("lobby", {"type": "hi"})
        eq(await layer.receive(a), {"type": "hi"})
        eq(await layer.receive(b), {"type": "hi"})
        await layer.group_discard("lobby", b)
        await layer.group_send("lobby", {"type": "a only"})
        eq(await layer.receive(a), {"type": "a only"})
        await nothing_arrives(layer, b, "b-marker")

    run(t, RedisPubSubChannelLayer(hosts=[URL]))


s.done()
