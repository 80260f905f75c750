// S3 answers in storage terms, and the S3 hand-off target: no server needed.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { S3_ACCEL_HEADERS, s3AccelTarget, upstreamHeaderVariable } from '../../lib/storage/s3-accel';
import { bodyOf, getMeta, headMeta, toStorageError } from '../../lib/storage/s3-responses';
import { s3Location } from '../../lib/delivery/nginx-s3';

describe('toStorageError', () => {
  it('maps status and name (Ceph sends empty messages)', () => {
    assert.equal(toStorageError({ name: 'NoSuchKey' }).code, 'not-found');
    assert.equal(toStorageError({ $metadata: { httpStatusCode: 404 } }).code, 'not-found');
    assert.equal(toStorageError({ name: 'PreconditionFailed' }).code, 'changed');
    assert.equal(toStorageError({ $metadata: { httpStatusCode: 412 } }).code, 'changed');
    assert.equal(toStorageError({ name: 'AbortError' }).code, 'aborted');
    assert.equal(toStorageError({ name: 'NoSuchKey' }, AbortSignal.abort()).code, 'aborted');
  });
  it('keeps the cause and names the failure in the message', () => {
    const sdk = { name: 'InternalError', code: 'EX', $metadata: { httpStatusCode: 500 } };
    const err = toStorageError(sdk);
    assert.equal(err.code, 'unavailable');
    assert.equal(err.message, 'S3 request failed (InternalError EX 500)');
    assert.equal(err.cause, sdk);
    assert.equal(toStorageError(undefined).message, 'S3 request failed (error)');
  });
});

describe('headMeta and getMeta', () => {
  const mtime = new Date('2026-01-02T03:04:05Z');
  it('quotes bare ETags and reads size, mtime and type', () => {
    assert.deepEqual(headMeta({ ContentLength: 3, ETag: 'abc', LastModified: mtime, ContentType: 'audio/mpeg' }), {
      size: 3,
      mtime,
      etag: '"abc"',
      contentType: 'audio/mpeg',
    });
    assert.throws(() => headMeta({ ContentLength: 3 }), /no size or ETag/);
  });
  it('reads the whole object or one span from Content-Range', () => {
    assert.deepEqual(getMeta({ ETag: '"e"', ContentLength: 10, LastModified: mtime }), {
      meta: { size: 10, mtime, etag: '"e"', contentType: undefined },
      range: null,
    });
    assert.deepEqual(getMeta({ ETag: '"e"', ContentLength: 2, ContentRange: 'bytes 4-5/10', LastModified: mtime }), {
      meta: { size: 10, mtime, etag: '"e"', contentType: undefined },
      range: { start: 4, end: 5 },
    });
  });
  it('is null for incomplete or inconsistent answers', () => {
    assert.equal(getMeta({ ContentLength: 2 }), null);
    assert.equal(getMeta({ ETag: '"e"', ContentLength: 3, ContentRange: 'bytes 4-5/10' }), null);
    assert.equal(getMeta({ ETag: '"e"', ContentLength: 2, ContentRange: 'bytes */10' }), null);
  });
});

describe('bodyOf', () => {
  it('ties a Node stream body to the signal', () => {
    const controller = new AbortController();
    const body = bodyOf({ Body: new PassThrough() as never }, controller.signal);
    controller.abort();
    assert.equal(body.destroyed, true);
  });
  it('refuses (and destroys) a body that is not a Node stream', () => {
    let destroyed = false;
    assert.throws(() => bodyOf({ Body: { destroy: () => void (destroyed = true) } as never }), /no Node\.js stream/);
    assert.equal(destroyed, true);
  });
});

describe('S3 hand-off', () => {
  const meta = { size: 10, mtime: new Date(0), etag: '"e"' };
  const url = new URL('http://s3.example:7480/radio/a%20b.mp3?X-Amz-Signature=x');
  it('passes path, host, range and If-Match in the hand-off headers', () => {
    assert.deepEqual(s3AccelTarget('/_station_files/s3', url, { meta, range: { start: 2, end: 5 } }), {
      uri: '/_station_files/s3',
      headers: {
        [S3_ACCEL_HEADERS.uri]: '/radio/a%20b.mp3?X-Amz-Signature=x',
        [S3_ACCEL_HEADERS.host]: 's3.example:7480',
        [S3_ACCEL_HEADERS.range]: 'bytes=2-5',
        [S3_ACCEL_HEADERS.ifMatch]: '"e"',
      },
    });
    assert.equal(s3AccelTarget('/l', url, { meta }).headers?.[S3_ACCEL_HEADERS.range], '');
  });
  it('names the nginx variable of each header', () => {
    assert.equal(upstreamHeaderVariable(S3_ACCEL_HEADERS.uri), '$upstream_http_x_station_files_s3_uri');
    assert.equal(upstreamHeaderVariable(S3_ACCEL_HEADERS.ifMatch), '$upstream_http_x_station_files_if_match');
  });
  it('the generated S3 location reads exactly the headers the app sends', () => {
    const conf = s3Location('/_station_files/s3', 'station_files_s3_0', { scheme: 'http', hostname: 'h', port: 80 }, '/ca.pem');
    for (const header of Object.values(S3_ACCEL_HEADERS)) assert.ok(conf.includes(` ${upstreamHeaderVariable(header)};`), header);
  });
});
