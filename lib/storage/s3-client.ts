/**
 * createS3Client: an S3 client set up for streaming large objects from any S3-compatible
 * service: a bounded, documented socket pool, timeouts that end stalled transfers, and no
 * checksum work on responses (newer SDK defaults buffer multi-GB bodies to validate them).
 */
import http from 'node:http';
import https from 'node:https';
import { S3Client } from '@aws-sdk/client-s3';
import { type GatedHandler, gateRequests } from './s3-gated-handler';
import { SocketGate } from './socket-gate';

/** Options for {@link createS3Client}. */
export interface S3ClientSettings {
  /** Region name; S3-compatible servers usually accept any. @default 'us-east-1' */
  region?: string;
  /** Endpoint URL for S3-compatible servers (Ceph, MinIO); omit for AWS. */
  endpoint?: string;
  /** Static credentials; omit to use the SDK's default provider chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Path-style URLs (`endpoint/bucket/key`), needed by most self-hosted servers. @default false */
  forcePathStyle?: boolean;
  /**
   * Sockets the client may hold open to S3 at once: the number of S3 downloads that can be
   * in flight; further requests wait at the client's gate (first reads before the next windows of
   * downloads under way; the SDK's timeouts start once a socket is theirs). Every download
   * releases its socket when it ends or aborts. @default 50
   */
  maxSockets?: number;
  /** Milliseconds to wait for a TCP connection to S3. @default 5000 */
  connectionTimeoutMs?: number;
  /** Milliseconds a socket may stay idle (no bytes from S3) before the transfer fails. @default 30000 */
  idleTimeoutMs?: number;
}

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0) throw new TypeError(`createS3Client: \`${name}\` must be a positive integer`);
  return value;
}

/**
 * Creates an S3Client with a keep-alive socket pool of `maxSockets` and a gate in front of it
 * (see {@link socketGate}), connection and idle timeouts, and `requestChecksumCalculation` /
 * `responseChecksumValidation` set to `WHEN_REQUIRED` (what S3-compatible servers and
 * constant-memory streaming need).
 *
 * @example
 * const client = createS3Client({
 *   endpoint: 'http://127.0.0.1:7480', forcePathStyle: true, maxSockets: 64,
 *   credentials: { accessKeyId: 'key', secretAccessKey: 'secret' },
 * });
 */
export function createS3Client(settings: S3ClientSettings = {}): S3Client {
  const maxSockets = positiveInteger('maxSockets', settings.maxSockets, 50);
  const connectionTimeout = positiveInteger('connectionTimeoutMs', settings.connectionTimeoutMs, 5000);
  const idleTimeout = positiveInteger('idleTimeoutMs', settings.idleTimeoutMs, 30000);
  if (settings.endpoint !== undefined && !/^https?:\/\/[^/]+/.test(settings.endpoint)) {
    throw new TypeError('createS3Client: `endpoint` must be an http(s) URL');
  }
  const agentOptions = { keepAlive: true, maxSockets };
  const client = new S3Client({
    region: settings.region ?? 'us-east-1',
    endpoint: settings.endpoint,
    credentials: settings.credentials,
    forcePathStyle: settings.forcePathStyle ?? false,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    // Options for the SDK's own NodeHttpHandler (no direct import of @smithy/* needed).
    requestHandler: {
      httpAgent: new http.Agent(agentOptions),
      httpsAgent: new https.Agent(agentOptions),
      connectionTimeout,
      // No bytes from S3 for this long, before or during the body: the transfer fails (and
      // stream delivery resumes it) instead of hanging, and the socket is released.
      socketTimeout: idleTimeout,
      requestTimeout: idleTimeout,
      throwOnRequestTimeout: true,
    },
  });
  // As many permits as the agents have sockets: every request passes the gate, so the agents never queue.
  gateClient(client, maxSockets);
  return client;
}

/**
 * Puts a {@link SocketGate} of `permits` in front of `client`'s request handler and makes it the
 * client's {@link socketGate}. Internal: createS3Client gates its own clients; the tests gate
 * clients whose agent they watch. `permits` must be the agent's `maxSockets`.
 *
 * @example
 * const client = new S3Client({ requestHandler: new NodeHttpHandler({ httpAgent: agent }) });
 * gateClient(client, agent.maxSockets);
 */
export function gateClient(client: S3Client, permits: number): SocketGate {
  const gate = new SocketGate(permits);
  gateRequests(client.config.requestHandler as unknown as GatedHandler, gate);
  gates.set(client, gate);
  return gate;
}

/** The socket gate of each client made by createS3Client. */
const gates = new WeakMap<S3Client, SocketGate>();

/**
 * The {@link SocketGate} of a client made by {@link createS3Client} (`maxSockets` permits);
 * undefined for any other client (its pool is not ours to see). Every request of the client
 * passes it after signing, so requests wait for a socket in arrival order before the SDK's
 * connection and request timeouts start; stream delivery asks it whether others wait
 * (`crowded()`) to give a held connection back.
 *
 * @example
 * const gate = socketGate(createS3Client({ maxSockets: 2 }));
 * if (gate?.crowded()) console.log('every S3 socket is in use and a request waits');
 */
export function socketGate(client: S3Client): SocketGate | undefined {
  return gates.get(client);
}
