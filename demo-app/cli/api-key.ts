/** `api-key create|list|revoke`: API keys for the X-API-Key header (only their hash is stored). */
import { defineCommand } from './command';
import { failure, usageError } from './errors';
import { table } from './output';

export const apiKeyCreate = defineCommand({
  words: ['api-key', 'create'],
  usage: 'api-key create --user EMAIL [--json]',
  summary: 'create an API key for a user (shown once; send it as X-API-Key)',
  options: {
    user: { type: 'string', required: true },
  },
  async run(v, ctx) {
    const user = await ctx.user(v.user);
    const key = await (await ctx.db()).createApiKey(user.id);
    ctx.log(`API key for ${user.email} created; it is shown only now (the panel stores its hash).`);
    return { json: { key }, text: key };
  },
});

/** A stored key as `api-key list` shows it (never the key itself: only its hash is stored). */
export interface ApiKeyListing {
  id: number;
  createdAt: string;
  prefix: string | null;
}

export const apiKeyList = defineCommand({
  words: ['api-key', 'list'],
  usage: 'api-key list --user EMAIL [--json]',
  summary: "list a user's API keys: id, creation time and first characters (for api-key revoke)",
  options: {
    user: { type: 'string', required: true },
  },
  async run(v, ctx) {
    const user = await ctx.user(v.user);
    const keys: ApiKeyListing[] = (await (await ctx.db()).apiKeys(user.id)).map((k) => ({ id: k.id, createdAt: k.created_at, prefix: k.key_prefix }));
    return {
      json: keys,
      text: table(
        keys,
        [
          { header: 'ID', value: (k) => k.id, right: true },
          { header: 'CREATED', value: (k) => k.createdAt },
          { header: 'KEY', value: (k) => (k.prefix ? `${k.prefix}…` : '(created before prefixes were kept)') },
        ],
        `(no API keys for ${user.email})`,
      ),
    };
  },
});

const REVOKE_USAGE = 'api-key revoke --id N [--json]';

export const apiKeyRevoke = defineCommand({
  words: ['api-key', 'revoke'],
  usage: REVOKE_USAGE,
  summary: 'revoke (delete) an API key by its id from api-key list; requests with it get 401 at once',
  options: {
    id: { type: 'string', required: true },
  },
  async run(v, ctx) {
    if (!/^\d{1,15}$/.test(v.id) || Number(v.id) < 1)
      throw usageError(`--id "${v.id}" is not a key id (a positive whole number; see api-key list)`, REVOKE_USAGE);
    const id = Number(v.id);
    const db = await ctx.db();
    const key = await db.apiKey(id);
    if (!key || !(await db.revokeApiKey(id))) throw failure(`no API key with id ${id} (see api-key list --user EMAIL)`);
    const owner = await db.userById(key.user_id);
    return {
      json: { revoked: id, user: owner?.email ?? null },
      text: `revoked API key ${id}${key.key_prefix ? ` (${key.key_prefix}…)` : ''}${owner ? ` of ${owner.email}` : ''}`,
    };
  },
});
