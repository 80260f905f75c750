// destroyOnAbort: the one rule that ties a storage stream to the request's AbortSignal.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { getEventListeners, once } from 'node:events';
import { PassThrough } from 'node:stream';
import { destroyOnAbort } from '../../lib/storage/abort';

const listeners = (signal: AbortSignal): number => getEventListeners(signal, 'abort').length;

describe('destroyOnAbort', () => {
  it('returns the stream unchanged without a signal', () => {
    const stream = new PassThrough();
    assert.equal(destroyOnAbort(stream), stream);
    assert.equal(stream.destroyed, false);
    stream.destroy();
  });

  it('destroys the stream when the signal fires', () => {
    const controller = new AbortController();
    const stream = destroyOnAbort(new PassThrough(), controller.signal);
    assert.equal(stream.destroyed, false);
    controller.abort();
    assert.equal(stream.destroyed, true);
  });

  it('destroys the stream at once when the signal has already fired', () => {
    const stream = destroyOnAbort(new PassThrough(), AbortSignal.abort());
    assert.equal(stream.destroyed, true);
  });

  it('stops listening when the stream closes', async () => {
    const controller = new AbortController();
    const stream = destroyOnAbort(new PassThrough(), controller.signal);
    assert.equal(listeners(controller.signal), 1);
    stream.end();
    stream.resume();
    await once(stream, 'close');
    assert.equal(listeners(controller.signal), 0);
  });
});
