/** `user add`: a panel login (scrypt-hashed password), optionally a global administrator. */
import { hashPassword } from '../auth/passwords';
import { isUniqueViolation } from '../db/errors';
import type { User } from '../db/types';
import { defineCommand } from './command';
import { failure, usageError } from './errors';

const USAGE = 'user add --email E --password P [--name N] [--global-admin] [--json]';
const MIN_PASSWORD = 8;

export const userAdd = defineCommand({
  words: ['user', 'add'],
  usage: USAGE,
  summary: 'create a user (the password is stored as a scrypt hash)',
  options: {
    email: { type: 'string', required: true },
    password: { type: 'string', required: true },
    name: { type: 'string' },
    'global-admin': { type: 'boolean' },
  },
  async run(v, ctx) {
    const email = v.email.trim();
    if (!/^[^\s@]+@[^\s@]+$/.test(email)) throw usageError(`--email "${v.email}" is not an email address`, USAGE);
    if ([...v.password].length < MIN_PASSWORD) throw usageError(`--password must be at least ${MIN_PASSWORD} characters`, USAGE);
    const name = (v.name ?? email.split('@')[0] ?? email).trim();
    if (name === '') throw usageError('--name must not be empty', USAGE);

    const exists = () => failure(`a user with email ${email} already exists`);
    const db = await ctx.db();
    if (await db.userByEmail(email)) throw exists(); // fail before the (deliberately slow) hash
    const passwordHash = await hashPassword(v.password);
    let user: User;
    try {
      user = await db.addUser({ email, name, passwordHash, globalAdmin: v['global-admin'] });
    } catch (err) {
      if (isUniqueViolation(err)) throw exists(); // created meanwhile (the server shares the file)
      throw err;
    }
    return {
      json: { id: user.id, email: user.email },
      text: `created user ${user.id} ${user.email} (${user.name})${user.global_admin ? ', global administrator' : ''}`,
    };
  },
});
