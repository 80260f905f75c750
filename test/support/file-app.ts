// An Express app that serves `/<storage name>/<key...>` through fileHandler, recording every
// DeliveryResult: the host-app shape the integration tests and benchmarks drive.
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { fileHandler, type ResponseOptions, type DeliveryResult, type Storage } from '../../lib';

export interface FileApp {
  url: string;
  port: number;
  results: DeliveryResult[];
  /** Resolves with the result of the request whose URL (path + query) is `url`, now or later. */
  resultFor(url: string): Promise<DeliveryResult>;
  close(): Promise<void>;
}

export async function startFileApp(storages: Record<string, Storage>, options: ResponseOptions = {}): Promise<FileApp> {
  const results: DeliveryResult[] = [];
  const byUrl = new Map<string, DeliveryResult>();
  const waiters = new Map<string, (r: DeliveryResult) => void>();
  const app = express();
  app.disable('x-powered-by');
  app.all(
    '/:storage/*key',
    fileHandler({
      ...options,
      resolve: (req) => {
        const storage = storages[String(req.params.storage)];
        const segments = req.params.key as unknown as string[];
        if (!storage || !Array.isArray(segments)) return null;
        return { storage, key: segments.join('/'), disposition: req.query.inline !== undefined ? 'inline' : 'attachment' };
      },
      onResult: (result, req) => {
        results.push(result);
        byUrl.set(req.originalUrl, result);
        waiters.get(req.originalUrl)?.(result);
      },
    }),
  );
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  server.keepAliveTimeout = 1000;
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    results,
    resultFor: (url) => {
      const known = byUrl.get(url);
      return known ? Promise.resolve(known) : new Promise((resolve) => waiters.set(url, resolve));
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
