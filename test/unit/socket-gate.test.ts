// SocketGate (lib/storage/socket-gate.ts): permits in arrival order, one per pooled socket; a
// waiter that aborts leaves the queue; giving a permit back twice frees one socket only. And
// gateRequests: a request holds its permit until its response body closes, or until it fails.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PassThrough } from 'node:stream';
import { CONTINUATION, gateRequests, type GatedHandler } from '../../lib/storage/s3-gated-handler';
import { SocketGate } from '../../lib/storage/socket-gate';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Passes a permit on after noting `name` in `order`. */
const noting =
  (order: string[], name: string) =>
  <T>(value: T): T => {
    order.push(name);
    return value;
  };

describe('SocketGate', () => {
  it('hands out `size` permits at once, then one per release, in arrival order', async () => {
    const gate = new SocketGate(2);
    const first = await gate.acquire();
    await gate.acquire();
    assert.equal(gate.crowded(), false, 'nobody waits yet');
    const order: string[] = [];
    const a = gate.acquire().then(noting(order, 'a'));
    const b = gate.acquire().then(noting(order, 'b'));
    await tick();
    assert.deepEqual(order, [], 'both wait while every permit is out');
    assert.equal(gate.crowded(), true);
    assert.equal(gate.waiting, 2);
    first();
    first(); // a second call gives nothing back
    const releaseA = await a;
    await tick();
    assert.deepEqual(order, ['a'], 'one release, one waiter through, the first to come');
    assert.equal(gate.waiting, 1);
    releaseA();
    (await b)();
    assert.deepEqual(order, ['a', 'b']);
    assert.equal(gate.crowded(), false);
  });

  it('serves first reads before continuations, whenever they came', async () => {
    const gate = new SocketGate(1);
    const held = await gate.acquire();
    const order: string[] = [];
    const later = gate.acquire(undefined, true).then(noting(order, 'continuation'));
    const first = gate.acquire().then(noting(order, 'first read'));
    held();
    (await first)();
    (await later)();
    assert.deepEqual(order, ['first read', 'continuation']);
  });

  it('drops a waiter whose signal aborts, and rejects it with the reason', async () => {
    const gate = new SocketGate(1);
    const held = await gate.acquire();
    const controller = new AbortController();
    const gone = gate.acquire(controller.signal);
    const next = gate.acquire();
    controller.abort(new Error('client left'));
    await assert.rejects(gone, /client left/);
    held();
    (await next)(); // the permit went past the aborted waiter
    assert.equal(gate.crowded(), false);
    await assert.rejects(gate.acquire(AbortSignal.abort(new Error('already'))), /already/);
  });
});

describe('gateRequests', () => {
  it('holds the permit until the response body closes, and gives it back when the request fails', async () => {
    const gate = new SocketGate(1);
    const bodies: PassThrough[] = [];
    let fail = false;
    const handler: GatedHandler = {
      handle: async () => {
        if (fail) throw new Error('connection refused');
        const body = new PassThrough();
        bodies.push(body);
        return { response: { body } };
      },
    };
    gateRequests(handler, gate);
    await handler.handle({});
    let second = false;
    const next = handler.handle({}).then(() => (second = true));
    await tick();
    assert.equal(second, false, 'the second request waits while the first body is open');
    assert.equal(gate.crowded(), true);
    bodies[0]?.destroy();
    await next;
    assert.equal(second, true, 'sent once the first body closed');
    bodies[1]?.end();
    bodies[1]?.resume(); // read to the end: closes
    fail = true;
    await assert.rejects(handler.handle({}), /connection refused/);
    fail = false;
    await handler.handle({}); // the failed request gave its permit back
    assert.equal(bodies.length, 3);
  });

  it('queues a request marked CONTINUATION behind a first read', async () => {
    const gate = new SocketGate(1);
    const bodies: PassThrough[] = [];
    const handler: GatedHandler = {
      handle: async () => {
        const body = new PassThrough();
        bodies.push(body);
        return { response: { body } };
      },
    };
    gateRequests(handler, gate);
    await handler.handle({});
    const order: string[] = [];
    const later = handler.handle({}, { [CONTINUATION]: true }).then(() => order.push('continuation'));
    const first = handler.handle({}, {}).then(() => order.push('first read'));
    bodies[0]?.destroy();
    await first;
    bodies[1]?.destroy();
    await later;
    assert.deepEqual(order, ['first read', 'continuation']);
  });
});
