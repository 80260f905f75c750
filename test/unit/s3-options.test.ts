// Option validation of the S3 factories: no server needed, every mistake is a TypeError at once.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { S3Client } from '@aws-sdk/client-s3';
import { createS3Client, s3Storage } from '../../lib/entry/s3';

const client = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });

describe('s3Storage options', () => {
  it('rejects a missing client, bad bucket names and escaping prefixes', () => {
    assert.throws(() => s3Storage({ client: {} as S3Client, bucket: 'radio' }), /client/);
    assert.throws(() => s3Storage({ client, bucket: 'Radio_Bucket' }), /bucket/);
    assert.throws(() => s3Storage({ client, bucket: 'radio', prefix: '../other/' }), /prefix/);
    assert.throws(() => s3Storage({ client, bucket: 'radio', prefix: '/abs/' }), /prefix/);
  });
  it('rejects bad accel settings and impossible delivery modes', () => {
    assert.throws(() => s3Storage({ client, bucket: 'radio', accel: { location: 'no-slash' } }), /location/);
    assert.throws(() => s3Storage({ client, bucket: 'radio', accel: { urlExpiresIn: 0 } }), /urlExpiresIn/);
    assert.throws(() => s3Storage({ client, bucket: 'radio', delivery: 'accel' }), /accel/);
  });
  it('names the full option path and refuses unknown keys', () => {
    const message = (fn: () => unknown): string => {
      try {
        fn();
      } catch (err) {
        assert.ok(err instanceof TypeError);
        return err.message;
      }
      return assert.fail('no TypeError');
    };
    assert.equal(
      message(() => s3Storage({ client, bucket: 'radio', accel: { urlExpiresIn: 0 } })),
      's3Storage: accel.urlExpiresIn must be a whole number from 1 to 604800',
    );
    assert.equal(
      message(() => s3Storage({ client, bucket: 'radio', accel: { location: 'x' } })),
      's3Storage: accel.location must be an nginx location path starting with "/", without ?, #, % or spaces',
    );
    assert.equal(
      message(() => s3Storage({ client, bucket: 'radio', resume: { attempts: 21 } })),
      's3Storage: resume.attempts must be a whole number from 0 to 20',
    );
    assert.match(
      message(() => s3Storage({ client, bucket: 'radio', resume: { attemps: 2 } } as never)),
      /^s3Storage: unknown option resume\.attemps /,
    );
    assert.match(
      message(() => s3Storage({ client, bucket: 'radio', accel: { expiresIn: 9 } } as never)),
      /^s3Storage: unknown option accel\.expiresIn /,
    );
    assert.match(
      message(() => s3Storage({ client, bucket: 'radio', prefx: 'a/' } as never)),
      /^s3Storage: unknown option prefx /,
    );
    assert.equal(
      message(() => s3Storage({ client, bucket: 'radio', onResume: 1 } as never)),
      's3Storage: onResume must be a function',
    );
    assert.equal(
      message(() => s3Storage(undefined as never)),
      's3Storage: client must be an S3Client',
    );
  });
  it('fills in the defaults', () => {
    const s = s3Storage({ client, bucket: 'radio', accel: {} });
    assert.equal(s.accelLocation, '/_station_files/s3');
    assert.equal(s.prefix, '');
  });
  it('resolves auto to accel with accel settings, stream without', () => {
    assert.equal(s3Storage({ client, bucket: 'radio', accel: {} }).delivery, 'accel');
    assert.equal(s3Storage({ client, bucket: 'radio' }).delivery, 'stream');
    assert.equal(s3Storage({ client, bucket: 'radio', delivery: 'redirect' }).delivery, 'redirect');
  });
  it('reads an invalid key as not found without asking S3', async () => {
    const storage = s3Storage({ client, bucket: 'radio', prefix: 'recordings/' });
    assert.equal(await storage.stat('../secrets.txt'), null);
    assert.equal(await storage.stat('a//b'), null);
  });
});

describe('createS3Client options', () => {
  it('rejects a non-positive socket pool and bad timeouts', () => {
    assert.throws(() => createS3Client({ maxSockets: 0 }), /maxSockets/);
    assert.throws(() => createS3Client({ connectionTimeoutMs: -1 }), /connectionTimeoutMs/);
    assert.throws(() => createS3Client({ idleTimeoutMs: 1.5 }), /idleTimeoutMs/);
    assert.throws(() => createS3Client({ endpoint: 'ftp://x' }), /endpoint/);
  });
  it('sets the checksum modes S3-compatible streaming needs', async () => {
    const c = createS3Client({ endpoint: 'http://127.0.0.1:1', forcePathStyle: true });
    assert.equal(await c.config.requestChecksumCalculation(), 'WHEN_REQUIRED');
    assert.equal(await c.config.responseChecksumValidation(), 'WHEN_REQUIRED');
    c.destroy();
  });
});
