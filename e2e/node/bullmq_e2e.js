'use strict';
// BullMQ (over ioredis) against the server at E2E_HOST:E2E_PORT: a queue, a
// worker, 100 jobs, a delayed job, a failing job retried with backoff, a job
// that exhausts its attempts, and QueueEvents reading the events stream
// (XREAD BLOCK). BullMQ runs almost everything as Lua scripts (EVALSHA).

const { Queue, QueueEvents, Worker, Job } = require('bullmq');
const Redis = require('ioredis');
const { assert, HOST, PORT, Scenario, waitFor, withTimeout } = require('./lib');

const s = new Scenario('bullmq');
const NAME = 'e2e';
// Workers need maxRetriesPerRequest: null (BullMQ insists on it); the time
// limits of the checks bound everything instead.
const connection = { host: HOST, port: PORT, maxRetriesPerRequest: null, connectTimeout: 5000 };

// A plain client to look at what BullMQ stored.
const raw = new Redis({ host: HOST, port: PORT, commandTimeout: 5000, maxRetriesPerRequest: 1 });
raw.on('error', () => {});
let queue;
let events;
let worker;
const completed = new Map(); // jobId -> return value, from the worker
const failedAttempts = new Map(); // jobId -> failures seen by the worker
const completedEvents = new Set(); // jobIds from QueueEvents
const startedAt = new Map(); // jobId -> ms when the processor first ran

async function processor(job) {
  if (!startedAt.has(job.id)) startedAt.set(job.id, Date.now());
  switch (job.name) {
    case 'double':
      return job.data.n * 2;
    case 'delayed':
      return 'late';
    case 'flaky':
      // Fails on its first two attempts, then reports how many it took.
      if (job.attemptsMade < 2) throw new Error(`flaky attempt ${job.attemptsMade + 1}`);
      return job.attemptsMade;
    case 'doomed':
      throw new Error('always fails');
    default:
      throw new Error(`unknown job ${job.name}`);
  }
}

async function main() {
  await s.check('connect', async () => {
    queue = new Queue(NAME, { connection });
    queue.on('error', () => {});
    await withTimeout(queue.waitUntilReady(), 8000, 'queue ready');
    // getWorkers lists the connections named by BullMQ (CLIENT LIST).
    assert.deepEqual(await queue.getWorkers(), []);
  });

  await s.check(
    'queue-events-ready',
    async () => {
      // Read the events stream from its start: with the default "$" the
      // events written before the first XREAD would be missed.
      events = new QueueEvents(NAME, { connection, blockingTimeout: 1000, lastEventId: '0-0' });
      events.on('error', () => {});
      events.on('completed', ({ jobId }) => completedEvents.add(jobId));
      await withTimeout(events.waitUntilReady(), 8000, 'QueueEvents ready');
    },
    { needs: ['connect'] },
  );

  await s.check(
    'add-100-jobs',
    async () => {
      const jobs = await queue.addBulk(
        Array.from({ length: 100 }, (_, i) => ({ name: 'double', data: { n: i }, opts: { jobId: `d${i}` } })),
      );
      assert.equal(jobs.length, 100);
      assert.equal(await queue.isPaused(), false);
      assert.equal(jobs[7].id, 'd7');
      assert.equal(await queue.getWaitingCount(), 100);
      const job = await Job.fromId(queue, 'd42');
      assert.deepEqual(job.data, { n: 42 });
      assert.equal(await raw.type('bull:e2e:d42'), 'hash');
      assert.equal(await raw.llen('bull:e2e:wait'), 100);
    },
    { needs: ['connect'] },
  );

  await s.check(
    'worker-processes-100',
    async () => {
      worker = new Worker(NAME, processor, { connection, concurrency: 10, drainDelay: 1 });
      worker.on('error', () => {});
      worker.on('completed', (job, value) => completed.set(job.id, value));
      worker.on('failed', (job) => job && failedAttempts.set(job.id, (failedAttempts.get(job.id) || 0) + 1));
      await waitFor(() => completed.size >= 100, 30000, '100 completed jobs');
      for (let i = 0; i < 100; i++) assert.equal(completed.get(`d${i}`), i * 2, `job d${i}`);
      const job = await Job.fromId(queue, 'd99');
      assert.equal(job.returnvalue, 198);
      assert.equal(await job.getState(), 'completed');
      const workers = await queue.getWorkers();
      assert.ok(workers.length >= 1, 'getWorkers (CLIENT LIST) sees the worker');
    },
    { timeout: 35000, needs: ['add-100-jobs'] },
  );

  await s.check(
    'queue-events-completed',
    async () => {
      await waitFor(() => completedEvents.size >= 100, 10000, '100 completed events');
      for (let i = 0; i < 100; i++) assert.ok(completedEvents.has(`d${i}`), `event for d${i}`);
      assert.equal(await raw.type('bull:e2e:events'), 'stream');
    },
    { needs: ['worker-processes-100', 'queue-events-ready'] },
  );

  await s.check(
    'delayed-job',
    async () => {
      const added = Date.now();
      const job = await queue.add('delayed', {}, { delay: 700, jobId: 'late1' });
      assert.equal(await job.getState(), 'delayed');
      assert.equal(await queue.getDelayedCount(), 1);
      assert.equal(await withTimeout(job.waitUntilFinished(events, 10000), 11000, 'delayed job'), 'late');
      assert.ok(startedAt.get('late1') - added >= 650, `ran ${startedAt.get('late1') - added} ms after add`);
    },
    { needs: ['worker-processes-100', 'queue-events-ready'] },
  );

  await s.check(
    'retry-with-backoff',
    async () => {
      const job = await queue.add('flaky', {}, { jobId: 'flaky1', attempts: 3, backoff: { type: 'fixed', delay: 100 } });
      assert.equal(await withTimeout(job.waitUntilFinished(events, 10000), 11000, 'flaky job'), 2);
      assert.equal(failedAttempts.get('flaky1'), 2, 'failed attempts seen by the worker');
      const done = await Job.fromId(queue, 'flaky1');
      assert.equal(done.attemptsMade, 3);
      assert.equal(await done.getState(), 'completed');
    },
    { needs: ['worker-processes-100', 'queue-events-ready'] },
  );

  await s.check(
    'failing-job',
    async () => {
      const job = await queue.add('doomed', { x: 1 }, { jobId: 'doomed1', attempts: 2, backoff: { type: 'fixed', delay: 50 } });
      await assert.rejects(withTimeout(job.waitUntilFinished(events, 10000), 11000, 'doomed job'), /always fails/);
      const done = await Job.fromId(queue, 'doomed1');
      assert.equal(await done.getState(), 'failed');
      assert.equal(done.failedReason, 'always fails');
      assert.equal(done.attemptsMade, 2);
      await done.retry();
      await waitFor(async () => (await done.getState()) === 'failed' && failedAttempts.get('doomed1') === 3, 10000, 'manual retry');
    },
    { needs: ['worker-processes-100', 'queue-events-ready'] },
  );

  await s.check(
    'job-counts',
    async () => {
      const counts = await queue.getJobCounts('completed', 'failed', 'delayed', 'waiting', 'active');
      assert.deepEqual(counts, { completed: 102, failed: 1, delayed: 0, waiting: 0, active: 0 });
      const failed = await queue.getFailed();
      assert.deepEqual(failed.map((j) => j.id), ['doomed1']);
    },
    { needs: ['worker-processes-100'] },
  );

  await s.check(
    'close',
    async () => {
      await withTimeout(worker.close(), 8000, 'worker.close');
      await withTimeout(events.close(), 5000, 'events.close');
      await withTimeout(queue.close(), 5000, 'queue.close');
    },
    { needs: ['worker-processes-100'] },
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
