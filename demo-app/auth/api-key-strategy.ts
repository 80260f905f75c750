/** passport strategy for scripts: `X-API-Key: sfk_…` (keys from `npm run cli -- api-key create`). */
import type { Request } from 'express';
import { Strategy } from 'passport-strategy';
import type { Db } from '../db/database';

export class ApiKeyStrategy extends Strategy {
  readonly name = 'api-key';
  constructor(private readonly db: Db) {
    super();
  }

  override authenticate(req: Request): void {
    const key = req.get('x-api-key');
    const user = key ? this.db.userByApiKey(key) : undefined;
    if (user) this.success(user);
    else this.fail('ApiKey realm="station-files-demo"', 401);
  }
}
