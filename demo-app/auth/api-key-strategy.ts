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
    if (!key) return void this.fail('ApiKey realm="station-files-demo"', 401);
    // A database error (unreachable) goes to the app's error handler: 503, not a 401 that blames the key.
    this.db.userByApiKey(key).then(
      (user) => (user ? this.success(user) : this.fail('ApiKey realm="station-files-demo"', 401)),
      (err: unknown) => this.error(err instanceof Error ? err : new Error(String(err))),
    );
  }
}
