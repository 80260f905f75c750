// Options are validated once, by one reader: unknown keys are refused and every message names
// the factory and the option's full path.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createDelivery, createStationFiles, fileHandler, localStorage } from '../../lib';
import { OptionsReader } from '../../lib/options/reader';

const base = { authorize: () => true, storages: { s: localStorage({ root: '/tmp' }) }, catalog: { mediaFile: () => null } };
const throwsWith = (fn: () => unknown, message: string) => assert.throws(fn, (err: unknown) => err instanceof TypeError && err.message === message);

describe('OptionsReader', () => {
  it('reads whole numbers, booleans, strings and functions with defaults', () => {
    const o = OptionsReader.of('f', { n: 3, b: true, s: 'x', fn: () => 1 }, ['n', 'b', 's', 'fn', 'absent']);
    assert.equal(o.integer('n', { min: 1, max: 5 }, 1), 3);
    assert.equal(o.integer('absent', { min: 1, max: 5 }, 2), 2);
    assert.equal(o.boolean('b', false), true);
    assert.equal(o.string('s', /^x$/, 'x', 'y'), 'x');
    assert.equal(typeof o.optionalFunction('fn'), 'function');
    assert.equal(o.optionalInteger('absent', { min: 0, max: 1 }), undefined);
  });
  it('names the factory and the full path, and refuses unknown keys and non-objects', () => {
    throwsWith(
      () =>
        OptionsReader.of('f', { a: { n: 0 } }, ['a'])
          .nested('a', ['n'])
          .integer('n', { min: 1, max: 9 }, 1),
      'f: a.n must be a whole number from 1 to 9',
    );
    throwsWith(() => OptionsReader.of('f', { a: { typo: 1 } }, ['a']).nested('a', ['n']), 'f: unknown option a.typo (known: n)');
    throwsWith(() => OptionsReader.of('f', 'nope', ['a']), 'f: options must be an object');
    throwsWith(() => OptionsReader.of('f', { a: [] }, ['a']).nested('a', []), 'f: a must be an object');
    throwsWith(() => OptionsReader.of('f', { n: 1.5 }, ['n']).integer('n', { min: 0, max: 2 }, 0), 'f: n must be a whole number from 0 to 2');
  });
});

describe('factories', () => {
  it('createStationFiles reports nested response options with their path', () => {
    throwsWith(
      () => createStationFiles({ ...base, responses: { maxRanges: 0 } }),
      'createStationFiles: responses.maxRanges must be a whole number from 1 to 100',
    );
    throwsWith(
      () => createStationFiles({ ...base, responses: { accel: { limitRate: -1 } } }),
      `createStationFiles: responses.accel.limitRate must be a whole number from 0 to ${Number.MAX_SAFE_INTEGER}`,
    );
  });
  it('createStationFiles refuses unknown keys, at the top and nested', () => {
    assert.throws(() => createStationFiles({ ...base, publicRateLimt: false } as never), /createStationFiles: unknown option publicRateLimt/);
    assert.throws(() => createStationFiles({ ...base, responses: { maxRange: 2 } } as never), /createStationFiles: unknown option responses\.maxRange/);
    assert.throws(
      () => createStationFiles({ ...base, catalog: { mediaFile: () => null, recordings: () => null } } as never),
      /unknown option catalog\.recordings/,
    );
  });
  it('createDelivery and fileHandler report with their own names', () => {
    throwsWith(() => createDelivery({ maxRanges: 101 }), 'createDelivery: maxRanges must be a whole number from 1 to 100');
    throwsWith(() => fileHandler({ resolve: () => null, cacheControl: 'bad\nvalue' }), 'fileHandler: cacheControl must be a printable ASCII header value');
    assert.throws(() => fileHandler({ resolve: () => null, onResults: () => undefined } as never), /fileHandler: unknown option onResults/);
    throwsWith(() => fileHandler({} as never), 'fileHandler: resolve must be a function');
  });
});
