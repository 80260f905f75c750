// The S3 side of station-files/metrics without S3: error types from SDK-shaped errors, and the
// timing middleware on a fake middleware stack (added once, observing successes and failures).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { observeS3Requests, s3ErrorType } from '../../lib/metrics/s3';

const sdkError = (name: string, status?: number, code?: string) =>
  Object.assign(new Error(name), { name, ...(code ? { code } : {}), ...(status ? { $metadata: { httpStatusCode: status } } : {}) });

describe('s3ErrorType', () => {
  it('maps SDK errors to a fixed set of types', () => {
    assert.equal(s3ErrorType(sdkError('NoSuchKey', 404)), 'not-found');
    assert.equal(s3ErrorType(sdkError('PreconditionFailed', 412)), 'precondition-failed');
    assert.equal(s3ErrorType(sdkError('SlowDown', 503)), 'throttled');
    assert.equal(s3ErrorType(sdkError('TimeoutError')), 'timeout');
    assert.equal(s3ErrorType(sdkError('Error', undefined, 'ECONNREFUSED')), 'network');
    assert.equal(s3ErrorType(sdkError('AbortError')), 'aborted');
    assert.equal(s3ErrorType(sdkError('InternalError', 500)), 'server');
    assert.equal(s3ErrorType(sdkError('AccessDenied', 403)), 'client');
    assert.equal(s3ErrorType('weird'), 'other');
  });
});

describe('observeS3Requests', () => {
  type Mw = (next: (a: unknown) => Promise<unknown>, ctx: { commandName?: string }) => (a: unknown) => Promise<unknown>;
  const fakeClient = () => {
    const added: Mw[] = [];
    return { added, middlewareStack: { add: (mw: Mw) => void added.push(mw) } };
  };

  it('adds one middleware per client, reports operation, duration and error type, and passes results and errors on', async () => {
    const client = fakeClient();
    const seen: unknown[][] = [];
    observeS3Requests(client, (...a) => void seen.push(a));
    observeS3Requests(client, (...a) => void seen.push(['second', ...a]));
    assert.equal(client.added.length, 1);
    const mw = client.added[0] as Mw;
    assert.equal(await mw(async () => 'body', { commandName: 'GetObjectCommand' })('args'), 'body');
    await assert.rejects(
      mw(
        async () => {
          throw sdkError('NotFound', 404);
        },
        { commandName: 'HeadObjectCommand' },
      )('args'),
      /NotFound/,
    );
    await mw(async () => 'x', { commandName: 'ListBucketsCommand' })('args');
    assert.deepEqual(
      seen.map(([tag, op, , err]) => [tag, op, err]),
      [
        ['second', 'GetObject', null],
        ['second', 'HeadObject', 'not-found'],
        ['second', 'other', null],
      ],
    );
    assert.ok(seen.every((s) => typeof s[2] === 'number' && (s[2] as number) >= 0));
  });
});
