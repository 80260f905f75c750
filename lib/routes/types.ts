/** Shapes shared by the routers: file references from the host's catalog, and endpoint specs. */
import type { IncomingMessage } from 'node:http';
import type { Permission } from '../access/permissions';
import type { DispositionType } from '../http/disposition';
import type { DownloadKind } from '../log/events';

/** What the host's catalog returns for an id: where a file lives and how to present it. */
export interface FileRef {
  /** The station the file belongs to; a mismatch with the URL's station is a 404. */
  station: string;
  /** Name of the storage in `storages`. */
  storage: string;
  /** Key inside that storage. */
  key: string;
  /** Name for Content-Disposition (and Content-Type by extension). */
  filename: string;
  /** Explicit Content-Type. */
  contentType?: string;
  /** For podcast episodes: published (served by the public enclosure route). */
  public?: boolean;
}

/** A catalog lookup result: a reference, or null for "no such file". */
export type Lookup = FileRef | null | Promise<FileRef | null>;

/** The host panel's data: ids → file references. The library never touches the host's database. */
export interface Catalog {
  recording?(ids: { station: string; streamer: string; broadcast: string }, req: IncomingMessage): Lookup;
  mediaFile?(ids: { station: string; id: string }, req: IncomingMessage): Lookup;
  episode?(ids: { station: string; podcast: string; episode: string }, req: IncomingMessage): Lookup;
  /**
   * Does this station exist? Optional; used only to fill `stationExists` in download events of
   * requests that were refused before a file was looked up (called after the response is over).
   */
  station?(id: string): boolean | Promise<boolean>;
}

/** One endpoint, declared by a route file. */
export interface EndpointSpec {
  kind: DownloadKind;
  /** Express path, e.g. `/station/:station/file/:id/play`. */
  path: string;
  /** Required station permission; `null` for the public enclosure. */
  permission: Permission | null;
  /** Id parameters to validate, the station's first. */
  params: readonly string[];
  /** The parameter that names the file (logged as `fileId`). */
  fileParam: string;
  disposition: DispositionType;
  lookup(params: Record<string, string>, req: IncomingMessage): Lookup;
}
