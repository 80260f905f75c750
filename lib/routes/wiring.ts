/** The normalized, validated settings the endpoints run with (built once by createStationFiles). */
import type { IncomingMessage } from 'node:http';
import type { Middleware } from '../access/authenticate';
import type { Authorize } from '../access/permissions';
import type { NewDownloadLimiter } from '../access/rate-limit';
import type { UrlSigner } from '../access/signed-url';
import type { Delivery } from '../delivery/serve';
import type { DownloadEvent, DownloadUser } from '../log/events';
import type { Storage } from '../storage/types';

/** Everything an endpoint needs, resolved from the options. */
export interface Wiring {
  authenticate: Middleware | null;
  authorize: Authorize<unknown>;
  userInfo(user: unknown): DownloadUser;
  challenge: string;
  storages: Readonly<Record<string, Storage>>;
  delivery: Delivery;
  signer: UrlSigner | null;
  limiter: NewDownloadLimiter | null;
  requestId(req: IncomingMessage): string;
  clientIp(req: IncomingMessage): string;
  emit(event: DownloadEvent, req: IncomingMessage): void;
  onError(err: Error, req: IncomingMessage): void;
}
