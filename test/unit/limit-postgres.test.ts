// postgresLimitStore without a database: its options, the values of the one statement per
// check, the decision from the returned row, and when the sweep of expired rows runs (a fake
// pool records the statements; the SQL itself runs in test/integration/limit-postgres.test.ts).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { postgresLimitStore, type PostgresQueryable } from '../../lib/entry/postgres';

function fakePool(answer: (text: string) => { rows: unknown[]; rowCount?: number } | Error) {
  const calls: { text: string; values: unknown[] }[] = [];
  const pool: PostgresQueryable = {
    async query(text, values = []) {
      calls.push({ text, values });
      const a = answer(text);
      if (a instanceof Error) throw a;
      return a;
    },
  };
  return { pool, calls, checks: () => calls.filter((c) => c.text.startsWith('INSERT')), sweeps: () => calls.filter((c) => c.text.startsWith('DELETE')) };
}
const row = (ok: boolean, windowEnd: number) => ({ rows: [{ ok, window_end: windowEnd }] });
const RULE = { windowMs: 60_000, max: 5 };

describe('postgresLimitStore', () => {
  it('validates its options', () => {
    const { pool } = fakePool(() => row(true, 0));
    assert.throws(() => postgresLimitStore({ pool: {} as PostgresQueryable }), /postgresLimitStore: pool must be a pg Pool/);
    assert.throws(() => postgresLimitStore({ pool, table: 'limits; DROP TABLE x' }), /table must be a lower-case table name/);
    assert.throws(() => postgresLimitStore({ pool, sweepBatch: 0 }), /sweepBatch/);
    assert.throws(() => postgresLimitStore({ pool, tabel: 'x' } as never), /unknown option tabel/);
    assert.match(
      postgresLimitStore({ pool, table: 'radio.limits' }).schemaSql,
      /CREATE TABLE IF NOT EXISTS radio\.limits .*CREATE INDEX IF NOT EXISTS radio_limits_window_end ON radio\.limits/s,
    );
  });

  it('sends one statement per check with client, episode, now, the new window end and max; maps the row to the decision', async () => {
    const f = fakePool((text) => (text.startsWith('INSERT') ? row(false, 130_500) : { rows: [], rowCount: 0 }));
    const store = postgresLimitStore({ pool: f.pool });
    assert.deepEqual(await store.check('203.0.113.7', 'alpha/1/9', 100_000, RULE), { ok: false, retryAfterSeconds: 31 });
    assert.deepEqual(
      f.checks().map((c) => c.values),
      [['203.0.113.7', 'alpha/1/9', 100_000, 160_000, 5]],
    );
    assert.match(f.checks()[0]?.text ?? '', /ON CONFLICT \(client\) DO UPDATE/);
  });

  it('sweeps at most once per sweepEveryMs, at once again after a full batch, and reports sweep failures to onError only', async () => {
    let deleted = 0;
    let failSweep = false;
    const f = fakePool((text) => (text.startsWith('INSERT') ? row(true, 0) : failSweep ? new Error('sweep failed') : { rows: [], rowCount: deleted }));
    const errors: Error[] = [];
    const store = postgresLimitStore({ pool: f.pool, sweepEveryMs: 1000, sweepBatch: 3, onError: (e) => void errors.push(e) });
    const settle = () => new Promise((r) => setImmediate(r));
    await store.check('c', 'e', 0, RULE);
    await store.check('c', 'e', 500, RULE);
    await settle();
    assert.deepEqual(
      f.sweeps().map((s) => s.values),
      [[0, 3]],
      'one sweep in the first period',
    );
    deleted = 3; // a full batch: more may be waiting
    await store.check('c', 'e', 1000, RULE);
    await settle();
    await store.check('c', 'e', 1001, RULE);
    await settle();
    assert.deepEqual(
      f.sweeps().map((s) => s.values[0]),
      [0, 1000, 1001],
    );
    failSweep = true;
    deleted = 0;
    assert.deepEqual(await store.check('c', 'e', 5000, RULE), { ok: true }, 'a failing sweep never fails the check');
    await settle();
    assert.deepEqual(
      errors.map((e) => e.message),
      ['sweep failed'],
    );
  });
});
