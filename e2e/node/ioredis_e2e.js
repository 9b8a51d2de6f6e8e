'use strict';
// ioredis (RESP3 by default since v6, RESP2 on request) against the server at
// E2E_HOST:E2E_PORT: connection setup, every data type, pipelines,
// auto-pipelining, transactions, pub/sub, Lua via defineCommand, streams.

const Redis = require('ioredis');
const { assert, HOST, PORT, Scenario, waitFor, withTimeout } = require('./lib');

const s = new Scenario('ioredis');

function client(opts = {}) {
  return new Redis({
    host: HOST,
    port: PORT,
    // Bound everything, and never reconnect: a broken server must fail checks.
    connectTimeout: 5000,
    commandTimeout: 5000,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
    ...opts,
  });
}

async function using(opts, fn) {
  const r = client(opts);
  try {
    return await fn(r);
  } finally {
    r.disconnect();
  }
}

async function main() {
  await s.check('connect-resp3', () =>
    using({ connectionName: 'e2e-io' }, async (r) => {
      assert.equal(await r.ping(), 'PONG');
      const info = await r.info('server');
      assert.match(info, /^redis_version:7\.\d+\.\d+\r$/m);
      assert.match(await r.client('INFO'), /\bresp=3\b/);
      assert.equal(await r.client('GETNAME'), 'e2e-io');
      assert.match(await r.client('LIST'), /name=e2e-io /);
      assert.deepEqual(await r.config('GET', 'maxmemory-policy'), ['maxmemory-policy', 'noeviction']);
    }),
  );

  await s.check('connect-resp2', () =>
    using({ protocol: 2, db: 2 }, async (r) => {
      assert.equal(await r.ping(), 'PONG');
      assert.match(await r.client('INFO'), /\bdb=2 .*\bresp=2\b/);
      assert.deepEqual(await r.config('GET', 'maxmemory-policy'), ['maxmemory-policy', 'noeviction']);
    }),
  );

  await s.check('resp3-map-replies', () =>
    using({ replyMapping: 'resp3' }, async (r) => {
      // CONFIG GET is a map in RESP3; with replyMapping "resp3" an object.
      assert.deepEqual(await r.config('GET', 'maxmemory-policy'), { 'maxmemory-policy': 'noeviction' });
      const hello = await r.hello(3);
      assert.equal(hello.proto, 3);
      assert.equal(hello.server, 'redis');
      assert.match(hello.version, /^7\./);
    }),
  );

  await s.check('monitor', () =>
    using({}, async (r) => {
      const monitor = await r.monitor();
      try {
        const seen = [];
        monitor.on('monitor', (time, args, source, database) => seen.push([database, ...args]));
        await r.select(2);
        await r.set('monitored', 'x y');
        await waitFor(() => seen.some((e) => e[1] === 'set'), 5000, 'the SET in MONITOR');
        assert.deepEqual(seen.find((e) => e[1] === 'set'), ['2', 'set', 'monitored', 'x y']);
      } finally {
        monitor.disconnect();
      }
    }),
  );

  await s.check('strings', () =>
    using({}, async (r) => {
      await r.flushall();
      assert.equal(await r.set('k', 'v'), 'OK');
      assert.equal(await r.get('k'), 'v');
      assert.equal(await r.set('k', 'w', 'NX'), null);
      assert.equal(await r.set('k', 'w', 'XX', 'GET'), 'v');
      assert.equal(await r.mset({ a: '1', b: '2' }), 'OK');
      assert.deepEqual(await r.mget('a', 'b', 'nope'), ['1', '2', null]);
      assert.equal(await r.incr('a'), 2);
      assert.equal(await r.incrby('a', 40), 42);
      assert.equal(await r.incrbyfloat('f', '2.5'), '2.5');
      assert.equal(await r.append('k', '!'), 2);
      assert.equal(await r.getrange('k', 0, 0), 'w');
      assert.equal(await r.setex('t', 100, 'x'), 'OK');
      assert.equal(await r.getdel('t'), 'x');
      assert.equal(await r.strlen('k'), 2);
      await assert.rejects(r.incr('k'), /ERR value is not an integer or out of range/);
    }),
  );

  await s.check('buffers', () =>
    using({}, async (r) => {
      const blob = Buffer.alloc(300000);
      for (let i = 0; i < blob.length; i++) blob[i] = (i * 7) & 0xff;
      assert.equal(await r.set(Buffer.from([0, 0xff, 13, 10]), blob), 'OK');
      assert.ok(blob.equals(await r.getBuffer(Buffer.from([0, 0xff, 13, 10]))));
    }),
  );

  await s.check('keys-expiry', () =>
    using({}, async (r) => {
      await r.flushdb();
      await r.set('x', '1', 'EX', 100);
      const ttl = await r.ttl('x');
      assert.ok(ttl > 95 && ttl <= 100, `ttl ${ttl}`);
      assert.ok((await r.pttl('x')) > 95000);
      assert.equal(await r.persist('x'), 1);
      assert.equal(await r.ttl('x'), -1);
      assert.equal(await r.expire('x', 10), 1);
      assert.equal(await r.type('x'), 'string');
      assert.equal(await r.rename('x', 'y'), 'OK');
      assert.deepEqual(await r.keys('*'), ['y']);
      assert.equal(await r.exists('x', 'y'), 1);
      assert.equal(await r.del('y', 'nope'), 1);
      await r.set('gone', '1', 'PX', 30);
      await waitFor(async () => (await r.exists('gone')) === 0, 5000, 'PX 30 key to expire');
    }),
  );

  await s.check('scan-stream', () =>
    using({}, async (r) => {
      await r.flushdb();
      const p = r.pipeline();
      for (let i = 0; i < 500; i++) p.set(`item:${i}`, i);
      p.set('other', 1);
      await p.exec();
      const seen = new Set();
      await new Promise((resolve, reject) => {
        r.scanStream({ match: 'item:*', count: 37 })
          .on('data', (keys) => keys.forEach((k) => seen.add(k)))
          .on('end', resolve)
          .on('error', reject);
      });
      assert.equal(seen.size, 500);
    }),
  );

  await s.check('pipeline', () =>
    using({}, async (r) => {
      await r.flushdb();
      const res = await r.pipeline().set('p', 'a').get('p').incr('n').incr('p').get('nope').exec();
      assert.deepEqual(res.slice(0, 3), [[null, 'OK'], [null, 'a'], [null, 1]]);
      assert.match(res[3][0].message, /not an integer/);
      assert.deepEqual(res[4], [null, null]);
    }),
  );

  await s.check('auto-pipelining', () =>
    using({ enableAutoPipelining: true }, async (r) => {
      await r.flushdb();
      await Promise.all(Array.from({ length: 300 }, (_, i) => r.set(`ap:${i}`, String(i))));
      const got = await Promise.all(Array.from({ length: 300 }, (_, i) => r.get(`ap:${i}`)));
      assert.deepEqual(got, Array.from({ length: 300 }, (_, i) => String(i)));
      assert.equal(await r.dbsize(), 300);
    }),
  );

  await s.check('hashes', () =>
    using({}, async (r) => {
      assert.equal(await r.hset('h', { a: '1', b: '2' }), 2);
      assert.deepEqual(await r.hgetall('h'), { a: '1', b: '2' });
      assert.equal(await r.hincrby('h', 'a', 9), 10);
      assert.deepEqual(await r.hmget('h', 'a', 'zz'), ['10', null]);
      assert.equal(await r.hdel('h', 'a'), 1);
      assert.equal(await r.hlen('h'), 1);
    }),
  );

  await s.check('lists', () =>
    using({}, async (r) => {
      await r.del('l');
      assert.equal(await r.rpush('l', 'a', 'b', 'c'), 3);
      assert.deepEqual(await r.lrange('l', 0, -1), ['a', 'b', 'c']);
      assert.equal(await r.lpop('l'), 'a');
      assert.equal(await r.lmove('l', 'l2', 'RIGHT', 'LEFT'), 'c');
      assert.equal(await r.llen('l'), 1);
    }),
  );

  await s.check('sets-sorted-sets', () =>
    using({}, async (r) => {
      assert.equal(await r.sadd('s', 'a', 'b'), 2);
      assert.deepEqual((await r.smembers('s')).sort(), ['a', 'b']);
      assert.equal(await r.zadd('z', 1, 'one', 2, 'two'), 2);
      assert.deepEqual(await r.zrange('z', 0, -1, 'WITHSCORES'), ['one', '1', 'two', '2']);
      assert.equal(await r.zscore('z', 'two'), '2');
    }),
  );

  await s.check('blocking-pop', () =>
    using({}, async (r) => {
      const waiter = r.duplicate();
      try {
        await r.del('bq');
        const pending = waiter.brpop('bq', 3);
        await Promise.race([
          waitFor(async () => /blocked_clients:1/.test(await r.info('clients')), 5000, 'a blocked client'),
          pending.then(() => {
            throw new Error('BRPOP returned before the push');
          }),
        ]);
        await r.lpush('bq', 'job');
        assert.deepEqual(await withTimeout(pending, 5000, 'BRPOP'), ['bq', 'job']);
        assert.deepEqual(await r.bzpopmin('nothing', 0.1), null);
      } finally {
        waiter.disconnect();
      }
    }),
  );

  await s.check('transaction', () =>
    using({}, async (r) => {
      await r.del('t');
      assert.deepEqual(await r.multi().set('t', '1').incr('t').exec(), [[null, 'OK'], [null, 2]]);
      const other = r.duplicate();
      try {
        await r.watch('t');
        await other.set('t', '100');
        assert.equal(await r.multi().incr('t').exec(), null, 'EXEC after a WATCHed key changed');
        assert.equal(await r.get('t'), '100');
      } finally {
        other.disconnect();
      }
    }),
  );

  await s.check('pubsub', () =>
    using({}, async (r) => {
      const sub = r.duplicate();
      try {
        const got = [];
        sub.on('message', (ch, msg) => got.push(['message', ch, msg]));
        sub.on('pmessage', (pat, ch, msg) => got.push(['pmessage', pat, ch, msg]));
        assert.equal(await sub.subscribe('news', 'alerts'), 2);
        assert.equal(await sub.psubscribe('ev.*'), 3);
        assert.equal(await r.publish('news', 'n1'), 1);
        assert.equal(await r.publish('ev.x', 'e1'), 1);
        await waitFor(() => got.length === 2, 5000, 'two messages');
        assert.deepEqual(got, [['message', 'news', 'n1'], ['pmessage', 'ev.*', 'ev.x', 'e1']]);
        await sub.unsubscribe('news');
        assert.equal(await r.publish('news', 'n2'), 0);
      } finally {
        sub.disconnect();
      }
    }),
  );

  await s.check('lua-definecommand', () =>
    using({}, async (r) => {
      r.defineCommand('incrCapped', {
        numberOfKeys: 1,
        lua: `local v = redis.call('INCR', KEYS[1])
              if v > tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1]); return tonumber(ARGV[1]) end
              return v`,
      });
      await r.del('capped');
      assert.equal(await r.incrCapped('capped', 2), 1);
      assert.equal(await r.incrCapped('capped', 2), 2);
      assert.equal(await r.incrCapped('capped', 2), 2);
      // After SCRIPT FLUSH, ioredis sees NOSCRIPT and falls back to EVAL.
      assert.equal(await r.script('FLUSH'), 'OK');
      assert.equal(await r.incrCapped('capped', 5), 3);
      assert.deepEqual(await r.eval('return {1, "two", {3}}', 0), [1, 'two', [3]]);
    }),
  );

  await s.check('streams', () =>
    using({}, async (r) => {
      await r.del('st');
      const id = await r.xadd('st', 'MAXLEN', '~', '100', '*', 'f', 'v');
      assert.match(id, /^\d+-\d+$/);
      assert.deepEqual(await r.xrange('st', '-', '+'), [[id, ['f', 'v']]]);
      const reader = r.duplicate();
      try {
        const pending = reader.xread('BLOCK', 3000, 'STREAMS', 'st', '$');
        await Promise.race([
          waitFor(async () => /blocked_clients:1/.test(await r.info('clients')), 5000, 'a blocked XREAD'),
          pending.then(() => {
            throw new Error('XREAD returned before the XADD');
          }),
        ]);
        const id2 = await r.xadd('st', '*', 'g', 'w');
        assert.deepEqual(await withTimeout(pending, 5000, 'XREAD BLOCK'), [['st', [[id2, ['g', 'w']]]]]);
      } finally {
        reader.disconnect();
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
