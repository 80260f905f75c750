/**
 * Puts a {@link SocketGate} in front of the AWS SDK's HTTP handler: a signed request takes a
 * permit before the handler sends it and gives it back when its response body closes (read to
 * the end or destroyed) or the request fails. The SDK's timeouts start inside the handler, so a
 * wait for a pooled socket is never counted as a slow S3.
 */
import { Readable } from 'node:stream';
import type { SocketGate } from './socket-gate';

/**
 * Marks a request as a continuation (the next read of a download already under way) in the
 * options of `client.send`, which the SDK hands to its request handler: it waits behind first
 * reads at the gate.
 */
export const CONTINUATION = Symbol('station-files continuation');

/** The part of the SDK's request handler (NodeHttpHandler) that is wrapped. */
export interface GatedHandler {
  handle(request: unknown, options?: { abortSignal?: unknown; [CONTINUATION]?: boolean }): Promise<{ response: { body?: unknown } }>;
}

/**
 * Replaces `handler.handle` with one that passes `gate` first (see the module comment). Used by
 * createS3Client on the handler of the client it made; the SDK's own retries each pass the gate.
 *
 * @example
 * gateRequests(client.config.requestHandler as unknown as GatedHandler, new SocketGate(50));
 */
export function gateRequests(handler: GatedHandler, gate: SocketGate): void {
  const send = handler.handle.bind(handler);
  handler.handle = async (request, options) => {
    const signal = options?.abortSignal instanceof AbortSignal ? options.abortSignal : undefined;
    const release = await gate.acquire(signal, options?.[CONTINUATION] === true);
    try {
      const out = await send(request, options);
      const body = out.response.body;
      if (body instanceof Readable && !body.destroyed) body.once('close', release);
      else release();
      return out;
    } catch (err) {
      release();
      throw err;
    }
  };
}
