'use strict';
// node-redis (the "redis" package; RESP3 by default, RESP2 on request)
// against the server at E2E_HOST:E2E_PORT: handshake (HELLO 3 with SETNAME,
// SELECT), strings, scan iterators, pipelines, MULTI/EXEC with WATCH,
// pub/sub on a duplicate connection, Lua through defineScript.

const { createClient, defineScript, WatchError } = require('redis');
const { assert, HOST, PORT, Scenario, waitFor, withTimeout } = require('./lib');

const s = new Scenario('node-redis');

const scripts = {
  // Adds ARGV[1] to KEYS[1] and returns the new value and the key's type.
  addAndType: defineScript({
    NUMBER_OF_KEYS: 1,
    SCRIPT: `local v = redis.call('INCRBY', KEYS[1], ARGV[1])
             return {v, redis.call('TYPE', KEYS[1])['ok']}`,
    parseCommand(parser, key, n) {
      parser.pushKey(key);
      parser.push(String(n));
    },
    transformReply(reply) {
      return reply;
    },
  }),
};

async function using(opts, fn) {
  const c = createClient({
    // No reconnects and a 5 s bound on every command and on connecting: a
    // broken server must fail checks, never hang them.
    socket: { host: HOST, port: PORT, connectTimeout: 5000, reconnectStrategy: false },
    commandOptions: { timeout: 5000 },
    scripts,
    ...opts,
  });
  c.on('error', () => {}); // errors surface through the rejected commands
  await c.connect();
  try {
    return await fn(c);
  } finally {
    c.destroy();
  }
}

async function main() {
  await s.check('connect-resp3', () =>
    using({ name: 'e2e-nr', database: 3 }, async (c) => {
      assert.equal(await c.ping(), 'PONG');
      const info = await c.sendCommand(['CLIENT', 'INFO']);
      assert.match(info, /\bname=e2e-nr .*\bdb=3 .*\bresp=3\b/);
      assert.deepEqual(await c.configGet('maxmemory-policy'), { 'maxmemory-policy': 'noeviction' });
      assert.match(await c.info('server'), /^redis_version:7\./m);
    }),
  );

  await s.check('connect-resp2', () =>
    using({ RESP: 2, name: 'e2e-nr2' }, async (c) => {
      assert.equal(await c.ping(), 'PONG');
      assert.match(await c.sendCommand(['CLIENT', 'INFO']), /\bname=e2e-nr2 .*\bresp=2\b/);
      assert.deepEqual(await c.configGet('maxmemory-policy'), { 'maxmemory-policy': 'noeviction' });
    }),
  );

  await s.check('auth', () =>
    using({}, async (admin) => {
      await admin.configSet('requirepass', 'pw');
      try {
        await using({ password: 'pw' }, async (c) => assert.equal(await c.ping(), 'PONG'));
        await using({ password: 'pw', RESP: 2 }, async (c) => assert.equal(await c.ping(), 'PONG'));
        await assert.rejects(using({ password: 'wrong' }, async () => {}), /WRONGPASS/);
      } finally {
        await using({ password: 'pw' }, (c) => c.configSet('requirepass', ''));
      }
    }),
  );

  await s.check('strings', () =>
    using({}, async (c) => {
      await c.flushAll();
      assert.equal(await c.set('k', 'v', { EX: 100 }), 'OK');
      assert.equal(await c.get('k'), 'v');
      assert.equal(await c.set('k', 'x', { NX: true }), null);
      assert.equal(await c.mSet({ a: '1', b: '2' }), 'OK');
      assert.deepEqual(await c.mGet(['a', 'b', 'zz']), ['1', '2', null]);
      assert.equal(await c.incrBy('a', 41), 42);
      assert.equal(await c.incrByFloat('a', 0.5), '42.5');
      const ttl = await c.ttl('k');
      assert.ok(ttl > 95 && ttl <= 100, `ttl ${ttl}`);
      assert.equal(await c.getEx('k', { type: 'PERSIST' }), 'v');
      assert.equal(await c.ttl('k'), -1);
      assert.equal(await c.exists(['k', 'a', 'nope']), 2);
      assert.equal(await c.del(['k', 'a']), 2);
      await c.set('s', 'text');
      await assert.rejects(c.incr('s'), /ERR value is not an integer or out of range/);
    }),
  );

  await s.check('scan-iterator', () =>
    using({}, async (c) => {
      await c.flushDb();
      await Promise.all(Array.from({ length: 400 }, (_, i) => c.set(`it:${i}`, 'v')));
      await c.set('other', 'v');
      const seen = new Set();
      for await (const keys of c.scanIterator({ MATCH: 'it:*', COUNT: 25 })) {
        for (const k of keys) seen.add(k);
      }
      assert.equal(seen.size, 400);
    }),
  );

  await s.check('pipeline', () =>
    using({}, async (c) => {
      await c.flushDb();
      // Commands sent in the same tick go out as one pipeline.
      const replies = await Promise.all([c.set('p', '1'), c.incr('p'), c.get('p'), c.get('nope')]);
      assert.deepEqual(replies, ['OK', 2, '2', null]);
      const res = await c.multi().set('q', 'a').append('q', 'b').get('q').execAsPipeline();
      assert.deepEqual(res, ['OK', 2, 'ab']);
    }),
  );

  await s.check('hashes-resp3', () =>
    using({}, async (c) => {
      await c.del('h');
      assert.equal(await c.hSet('h', { a: '1', b: '2' }), 2);
      assert.deepEqual({ ...(await c.hGetAll('h')) }, { a: '1', b: '2' });
      assert.equal(await c.hIncrBy('h', 'a', 4), 5);
      let fields = 0;
      for await (const entries of c.hScanIterator('h')) fields += entries.length;
      assert.equal(fields, 2);
    }),
  );

  await s.check('lists-sets-zsets', () =>
    using({}, async (c) => {
      await c.del(['l', 's', 'z']);
      assert.equal(await c.rPush('l', ['a', 'b']), 2);
      assert.deepEqual(await c.lRange('l', 0, -1), ['a', 'b']);
      assert.equal(await c.sAdd('s', ['x', 'y']), 2);
      assert.equal(await c.sCard('s'), 2);
      assert.equal(await c.zAdd('z', [{ score: 1.5, value: 'm' }]), 1);
      assert.equal(await c.zScore('z', 'm'), 1.5);
      assert.deepEqual(await c.zRangeWithScores('z', 0, -1), [{ value: 'm', score: 1.5 }]);
    }),
  );

  await s.check('transaction', () =>
    using({}, async (c) => {
      await c.del('t');
      assert.deepEqual(await c.multi().set('t', '1').incr('t').get('t').exec(), ['OK', 2, '2']);
      await using({}, async (other) => {
        await c.watch('t');
        await other.set('t', '50');
        await assert.rejects(c.multi().incr('t').exec(), WatchError);
      });
      assert.equal(await c.get('t'), '50');
    }),
  );

  await s.check('pubsub', () =>
    using({}, async (c) => {
      const sub = c.duplicate();
      sub.on('error', () => {});
      await sub.connect();
      try {
        const got = [];
        await sub.subscribe('room', (msg, ch) => got.push([ch, msg]));
        await sub.pSubscribe('ev.*', (msg, ch) => got.push([ch, msg]));
        assert.equal(await c.publish('room', 'hello'), 1);
        assert.equal(await c.publish('ev.a', 'x'), 1);
        await waitFor(() => got.length === 2, 5000, 'two messages');
        assert.deepEqual(got, [['room', 'hello'], ['ev.a', 'x']]);
        assert.deepEqual(await c.pubSubNumSub('room'), { room: 1 });
        await sub.unsubscribe('room');
        await sub.pUnsubscribe('ev.*');
        assert.equal(await c.publish('room', 'again'), 0);
      } finally {
        sub.destroy();
      }
    }),
  );

  await s.check('client-side-cache', () =>
    // RESP3 client tracking: the server pushes invalidations, and node-redis
    // drops the cached reply.
    using({ clientSideCache: { ttl: 0, maxEntries: 0 } }, async (c) => {
      await c.set('cached', 'v1');
      await c.configResetStat();
      assert.equal(await c.get('cached'), 'v1');
      assert.equal(await c.get('cached'), 'v1');
      assert.match(await c.info('commandstats'), /^cmdstat_get:calls=1,/m, 'the second GET was served from the cache');
      assert.match(await c.sendCommand(['CLIENT', 'INFO']), /\bflags=\S*t/, 'tracking flag');
      await using({}, (other) => other.set('cached', 'v2'));
      await waitFor(async () => (await c.get('cached')) === 'v2', 5000, 'the invalidated key to be read again');
    }),
  );

  await s.check('lua-script', () =>
    using({}, async (c) => {
      await c.del('n');
      assert.deepEqual(await c.addAndType('n', 5), [5, 'string']);
      // After SCRIPT FLUSH the client gets NOSCRIPT and falls back to EVAL.
      assert.equal(await c.scriptFlush(), 'OK');
      assert.deepEqual(await c.addAndType('n', 1), [6, 'string']);
      assert.deepEqual(await c.eval('return ARGV[1]', { arguments: ['hi'] }), 'hi');
    }),
  );

  await s.check('blocking-pop', () =>
    using({}, async (c) => {
      const waiter = c.duplicate();
      waiter.on('error', () => {});
      await waiter.connect();
      try {
        await c.del('bq');
        const pending = waiter.blPop('bq', 3);
        await Promise.race([
          waitFor(async () => /blocked_clients:1/.test(await c.info('clients')), 5000, 'a blocked client'),
          pending.then(() => {
            throw new Error('BLPOP returned before the push');
          }),
        ]);
        await c.lPush('bq', 'job');
        assert.deepEqual({ ...(await withTimeout(pending, 5000, 'BLPOP')) }, { key: 'bq', element: 'job' });
      } finally {
        waiter.destroy();
      }
    }),
  );

  s.done();
}

main().then(
  () => process.exit(0),
  (err) => {
    console.log(err);
    process.exit(1);
  },
);
