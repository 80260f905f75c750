// Two small passport strategies a panel would write itself: an API key in `X-API-Key`, and a bearer
// token in `Authorization: Bearer <token>`. Both *fail* (never pass) without their credential, so in
// a chain the next strategy gets its turn; passport answers 401 itself only when every one fails.
import type { Request } from 'express';
import passport from 'passport';

/** Looks a credential up; undefined when it names nobody. */
export type CredentialLookup = (credential: string) => Express.User | undefined;

/** `X-API-Key: <key>`. Missing or unknown key: fail, without a challenge (there is no standard one). */
export class ApiKeyStrategy extends passport.Strategy {
  override name = 'api-key';

  constructor(private readonly lookup: CredentialLookup) {
    super();
  }

  override authenticate(req: Request): void {
    const key = req.headers['x-api-key'];
    const user = typeof key === 'string' && key !== '' ? this.lookup(key) : undefined;
    if (user) this.success(user);
    else this.fail(401);
  }
}

/** `Authorization: Bearer <token>` (RFC 6750): fails with a `Bearer` challenge, `invalid_token` for unknown tokens. */
export class BearerStrategy extends passport.Strategy {
  override name = 'bearer';

  constructor(
    private readonly lookup: CredentialLookup,
    private readonly realm = 'panel',
  ) {
    super();
  }

  override authenticate(req: Request): void {
    const match = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/.exec(req.headers.authorization ?? '');
    if (!match?.[1]) return this.fail(`Bearer realm="${this.realm}"`);
    const user = this.lookup(match[1]);
    if (user) this.success(user);
    else this.fail(`Bearer realm="${this.realm}", error="invalid_token"`);
  }
}
