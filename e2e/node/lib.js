'use strict';
// Check runner shared by the Node scenarios. Every check prints one line that
// e2e/run.sh reads ("##e2e PASS|FAIL <scenario>/<check> [reason]") and the
// scenario ends with "##e2e DONE". Which failures are expected is decided by
// run.sh from e2e/xfail.txt, never here.

const assert = require('node:assert/strict');

const HOST = process.env.E2E_HOST || '127.0.0.1';
const PORT = Number(process.env.E2E_PORT || 6379);

// A check that outlives its time limit leaves work running; whatever that
// work rejects later must not crash the scenario.
process.on('unhandledRejection', (err) => {
  console.log(`(late rejection ignored: ${err && err.message})`);
});

class Scenario {
  constructor(name) {
    this.name = name;
    this.failed = new Set();
  }

  // check runs fn as check `name` within `timeout` ms. `needs` names earlier
  // checks whose failure makes this one fail without running, so a missing
  // feature costs one timeout rather than one per check.
  async check(name, fn, { timeout = 15000, needs = [] } = {}) {
    const full = `${this.name}/${name}`;
    const missing = needs.filter((n) => this.failed.has(n));
    if (missing.length) {
      this.failed.add(name);
      emit(`FAIL ${full} not run: needs ${missing.join(', ')}`);
      return;
    }
    let timer;
    const limit = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`check timed out after ${timeout} ms`)), timeout);
    });
    try {
      await Promise.race([Promise.resolve().then(fn), limit]);
      emit(`PASS ${full}`);
    } catch (err) {
      this.failed.add(name);
      emit(`FAIL ${full} ${describe(err)}`);
    } finally {
      clearTimeout(timer);
    }
  }

  done() {
    emit('DONE');
  }
}

function emit(line) {
  process.stdout.write(`##e2e ${line}\n`);
}

function describe(err) {
  let text = String((err && err.message) || err).split(/\s+/).join(' ');
  if (text.length > 300) text = text.slice(0, 300) + '...';
  // Name the scenario file's line: that is where a reader starts.
  const frame = String((err && err.stack) || '')
    .split('\n')
    .find((l) => /_e2e\.js:\d+/.test(l));
  const where = frame ? ` (${frame.match(/([\w-]+_e2e\.js:\d+)/)[1]})` : '';
  return `${(err && err.name) || 'Error'}: ${text}${where}`;
}

// waitFor polls cond (sync or async) until it is true or `ms` pass.
async function waitFor(cond, ms = 5000, what = 'condition') {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

// withTimeout bounds one promise; used around waits inside a check.
function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

module.exports = { assert, HOST, PORT, Scenario, waitFor, withTimeout };
