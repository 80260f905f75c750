/** `api-key create`: a new API key for a user, for the X-API-Key header (only its hash is stored). */
import { defineCommand } from './command';

export const apiKeyCreate = defineCommand({
  words: ['api-key', 'create'],
  usage: 'api-key create --user EMAIL [--json]',
  summary: 'create an API key for a user (shown once; send it as X-API-Key)',
  options: {
    user: { type: 'string', required: true },
  },
  run(v, ctx) {
    const user = ctx.user(v.user);
    const key = ctx.db.createApiKey(user.id);
    ctx.log(`API key for ${user.email} created; it is shown only now (the panel stores its hash).`);
    return { json: { key }, text: key };
  },
});
