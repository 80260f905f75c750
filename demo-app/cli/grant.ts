/** `grant`: gives a user one permission on one station (idempotent). */
// The library's PERMISSIONS (re-exported by '../../lib'), from its own module so that every CLI
// command does not load the whole library (and the S3 SDK) just to validate a name.
import { PERMISSIONS, type Permission } from '../../lib';
import { defineCommand } from './command';
import { usageError } from './errors';

const USAGE = 'grant --user EMAIL --station ID_OR_SHORTCODE --permission NAME [--json]';

export const grant = defineCommand({
  words: ['grant'],
  usage: USAGE,
  summary: `give a user a permission on a station (${PERMISSIONS.map((p) => `"${p}"`).join(', ')})`,
  options: {
    user: { type: 'string', required: true },
    station: { type: 'string', required: true },
    permission: { type: 'string', required: true },
  },
  async run(v, ctx) {
    const permission: Permission | undefined = PERMISSIONS.find((p) => p === v.permission);
    if (!permission) {
      throw usageError(`unknown permission "${v.permission}" (one of: ${PERMISSIONS.map((p) => `"${p}"`).join(', ')})`, USAGE);
    }
    const user = await ctx.user(v.user);
    const station = await ctx.station(v.station);
    await (await ctx.db()).grant(user.id, station.id, permission);
    return {
      json: { user: user.email, station: station.shortcode, permission },
      text: `granted "${permission}" on ${station.shortcode} to ${user.email}`,
    };
  },
});
