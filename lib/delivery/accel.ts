/**
 * The nginx hand-off: the app has authenticated, authorized and planned the response; nginx
 * reads the bytes. Only headers nginx keeps across X-Accel-Redirect are sent (Content-Type,
 * Content-Disposition, Cache-Control, Accept-Ranges); ETag and Last-Modified come from nginx's
 * static module or from S3, and the rest is restored by the internal location.
 */
import type { ServerResponse } from 'node:http';
import type { ResponsePlan } from '../http/plan';
import { OptionsReader } from '../options/reader';
import type { AccelTarget } from '../storage/types';

/** nginx X-Accel-* controls for handed-off responses. */
export interface AccelOptions {
  /** `X-Accel-Buffering`: `false` streams to slow clients without nginx buffering. @default undefined (nginx's setting) */
  buffering?: boolean;
  /** `X-Accel-Limit-Rate` in bytes per second, per download. @default undefined (no limit) */
  limitRate?: number;
  /** `X-Accel-Expires` in seconds, or `'off'`, for nginx's own cache. @default undefined */
  expires?: number | 'off';
  /**
   * Hand off only requests that carry this header, which the nginx config from nginxConfig()
   * sets; others (nginx missing, or a hand-written config) get a 502 and an error in the log
   * instead of an empty 200. `false` turns the check off. @default 'X-Station-Files-Accel'
   */
  proxyHeader?: string | false;
}

/** The header the generated nginx config sets on requests it passes to the app. */
export const ACCEL_PROXY_HEADER = 'X-Station-Files-Accel';

/**
 * The header the app sets on a hand-off when nginx reports are on: the event id nginx puts in
 * its report line (the generated locations read it; location / never passes it to clients).
 */
export const REPORT_HEADER = 'X-Station-Files-Report';

export const ACCEL_KEYS = ['buffering', 'limitRate', 'expires', 'proxyHeader'] as const;

/**
 * Reads {@link AccelOptions} once (TypeError naming the option on a bad value).
 *
 * @example
 * readAccelOptions(OptionsReader.of('createDelivery', { buffering: false }, ACCEL_KEYS, 'accel.'));
 */
export function readAccelOptions(o: OptionsReader): AccelOptions {
  const proxyHeader = o.raw('proxyHeader') === false ? false : o.string('proxyHeader', /^[A-Za-z0-9-]+$/, 'a header name or false', ACCEL_PROXY_HEADER);
  const expires = o.raw('expires') === 'off' ? 'off' : o.optionalInteger('expires', { min: 0, max: 2_147_483_647 });
  return {
    buffering: o.has('buffering') ? o.boolean('buffering', false) : undefined,
    limitRate: o.optionalInteger('limitRate', { min: 0, max: Number.MAX_SAFE_INTEGER }),
    expires,
    proxyHeader: proxyHeader === false ? false : proxyHeader.toLowerCase(),
  };
}

/** Validates {@link AccelOptions} once, as `createDelivery` would; throws TypeError on bad values. */
export function normalizeAccelOptions(options: AccelOptions = {}): AccelOptions {
  return readAccelOptions(OptionsReader.of('createDelivery', options, ACCEL_KEYS, 'accel.'));
}

/**
 * The response headers of a hand-off: X-Accel-Redirect to `target.uri`, the headers nginx
 * keeps, the X-Accel-* controls, and the target's own headers for the internal location.
 *
 * @example
 * accelHeaders(plan, { uri: '/internal/media/show%20one.mp3' }, { buffering: false })
 * // { 'X-Accel-Redirect': '/internal/media/show%20one.mp3', 'Content-Type': 'audio/mpeg', … }
 */
export function accelHeaders(plan: ResponsePlan, target: AccelTarget, options: AccelOptions): Record<string, string> {
  const h = plan.headers;
  const headers: Record<string, string> = {
    'X-Accel-Redirect': target.uri,
    'Content-Type': h['Content-Type'] ?? 'application/octet-stream',
    'Cache-Control': h['Cache-Control'] ?? 'private, no-cache',
    'Accept-Ranges': 'bytes',
  };
  if (h['Content-Disposition']) headers['Content-Disposition'] = h['Content-Disposition'];
  // nginx drops these across the hand-off; the generated locations restore them from here.
  if (h['Content-Security-Policy']) headers['Content-Security-Policy'] = h['Content-Security-Policy'];
  if (h['X-Content-Type-Options']) headers['X-Content-Type-Options'] = h['X-Content-Type-Options'];
  if (options.buffering !== undefined) headers['X-Accel-Buffering'] = options.buffering ? 'yes' : 'no';
  if (options.limitRate !== undefined) headers['X-Accel-Limit-Rate'] = String(options.limitRate);
  if (options.expires !== undefined) headers['X-Accel-Expires'] = String(options.expires);
  return { ...headers, ...target.headers };
}

/** Sends the hand-off: status 200, headers only, an empty body. */
export function sendAccel(res: ServerResponse, headers: Record<string, string>): void {
  res.writeHead(200, { ...headers, 'Content-Length': '0' });
  res.end();
}
