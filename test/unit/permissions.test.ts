import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { staticPermissions } from '../../lib';

const authorize = staticPermissions<{ id: number }>(
  {
    '1': { globalAdmin: true },
    '2': { stations: { alpha: ['administer all'] } },
    '3': { stations: { alpha: ['streamers', 'reports'], bravo: ['media'] } },
  },
  (u) => String(u.id),
);

describe('staticPermissions', () => {
  it('lets a global admin do everything everywhere', () => {
    assert.equal(authorize({ id: 1 }, 'bravo', 'podcasts'), true);
  });
  it('lets a station admin do everything on that station only', () => {
    assert.equal(authorize({ id: 2 }, 'alpha', 'media'), true);
    assert.equal(authorize({ id: 2 }, 'bravo', 'media'), false);
  });
  it('needs the exact permission otherwise', () => {
    assert.equal(authorize({ id: 3 }, 'alpha', 'streamers'), true);
    assert.equal(authorize({ id: 3 }, 'alpha', 'media'), false);
    assert.equal(authorize({ id: 3 }, 'bravo', 'media'), true);
    assert.equal(authorize({ id: 3 }, 'bravo', 'streamers'), false);
  });
  it('knows nobody else, and is not fooled by prototype keys', () => {
    assert.equal(authorize({ id: 9 }, 'alpha', 'streamers'), false);
    const proto = staticPermissions<{ id: string }>({}, (u) => u.id);
    assert.equal(proto({ id: '__proto__' }, 'constructor', 'media'), false);
    assert.equal(proto({ id: 'constructor' }, 'alpha', 'media'), false);
  });
  it('rejects unknown permission names when created', () => {
    assert.throws(() => staticPermissions({ '1': { stations: { a: ['download' as 'media'] } } }, () => '1'), /unknown permission "download"/);
  });
});
