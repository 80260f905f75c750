/**
 * fileHandler: the smallest way to put station-files in an Express app. You resolve a request
 * to a file (or null for 404); it serves it with full Range and conditional semantics.
 */
import type { Request, RequestHandler } from 'express';
import { DELIVERY_KEYS, deliveryWith, readDeliveryOptions, type ResponseOptions, type DeliveryResult, type FileTarget } from './delivery/serve';
import { OptionsReader } from './options/reader';
import { sendText } from './delivery/respond';

/** Options for {@link fileHandler}. */
export interface FileHandlerOptions extends ResponseOptions {
  /** Maps a request to the file to serve, or `null` (404). Throwing calls the app's error handler. */
  resolve(req: Request): FileTarget | null | Promise<FileTarget | null>;
  /** Called once per request when the response is over (for logs and metrics). */
  onResult?(result: DeliveryResult, req: Request): void;
}

/**
 * Creates an Express handler that serves the file `resolve` picks. Options are validated here,
 * once. The handler answers every request itself; only a `resolve` that throws reaches `next`.
 *
 * @example
 * const media = localStorage({ root: '/var/radio/media' });
 * app.get('/media/:name', fileHandler({
 *   resolve: (req) => ({ storage: media, key: String(req.params.name), disposition: 'inline' }),
 * }));
 */
export function fileHandler(options: FileHandlerOptions): RequestHandler {
  const o = OptionsReader.of('fileHandler', options, [...DELIVERY_KEYS, 'resolve', 'onResult']);
  const resolve = o.optionalFunction<FileHandlerOptions['resolve']>('resolve') ?? o.fail('resolve', 'a function');
  const onResult = o.optionalFunction<NonNullable<FileHandlerOptions['onResult']>>('onResult');
  const { resolve: _r, onResult: _o, ...deliveryOptions } = options;
  const delivery = deliveryWith(readDeliveryOptions(OptionsReader.of('fileHandler', deliveryOptions, DELIVERY_KEYS)));
  return (req, res, next) => {
    Promise.resolve()
      .then(() => resolve(req))
      .then(async (target) => {
        if (!target) {
          sendText(res, 404, 'Not Found', {}, req.method === 'HEAD');
          return;
        }
        const result = await delivery.serve(req, res, target);
        onResult?.(result, req);
      })
      .catch(next);
  };
}
