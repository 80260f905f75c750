/**
 * URL builders for every endpoint, from the same path templates the routers mount, so links in
 * a panel's pages and feeds cannot drift from the routes when `paths` or the mount point change.
 */
import { createUrlSigner, type UrlSigner, type UrlSignerOptions } from '../access/signed-url';
import { readPaths, type EndpointPaths, type EndpointTemplates } from './paths';

/** Ids of one recording, media file or episode; `ext` only for the public enclosure. */
export type RecordingIds = { station: string; streamer: string; broadcast: string };
export type MediaIds = { station: string; id: string };
export type EpisodeIds = { station: string; podcast: string; episode: string };
export type PublicEpisodeIds = EpisodeIds & { ext: string };

/** Per-call URL options. */
export interface UrlOptions {
  /**
   * Where the router is mounted, prepended to the path: a path (`/api`, or `req.baseUrl`) or an
   * absolute URL (`https://radio.example/api`). @default the `baseUrl` given to createStationFiles, else ''
   */
  base?: string;
  /**
   * A signed link that works without a session (private routes only): `true`, or its lifetime in
   * seconds and a `subject` (1–64 of `A-Z a-z 0-9 _ -`, say the user who shares it) that download
   * events report as `linkSubject`. Needs `signing` keys.
   */
  signed?: boolean | { expiresIn?: number; subject?: string };
}

/** URL builders for each endpoint (see {@link UrlOptions}). */
export interface EndpointUrls {
  recording(ids: RecordingIds, options?: UrlOptions): string;
  media(ids: MediaIds, options?: UrlOptions): string;
  episode(ids: EpisodeIds, options?: UrlOptions): string;
  /** The public enclosure (for RSS feeds); never signed. */
  publicEpisode(ids: PublicEpisodeIds, options?: Omit<UrlOptions, 'signed'>): string;
}

const TOKEN = /^[A-Za-z0-9_-]{1,64}$/;

/** Fills `:name` placeholders with validated ids (a bad id would make a link to another file). */
export function fillPath(template: string, ids: Readonly<Record<string, unknown>>, caller: string): string {
  return template.replace(/:(\w+)/g, (_m, name: string) => {
    const v = ids[name];
    if (typeof v !== 'string' || !TOKEN.test(v)) throw new TypeError(`${caller}: invalid ${name}`);
    return v;
  });
}

/** Appends the signed query (expires, kid, sig, and sub when given) for an endpoint path. */
export function signPath(
  signer: UrlSigner | null,
  station: string,
  path: string,
  signed: true | { expiresIn?: number; subject?: string },
  caller: string,
): string {
  if (!signer) throw new TypeError(`${caller}: createStationFiles needs \`signing\` keys for signed links`);
  const { expiresIn, subject } = signed === true ? { expiresIn: undefined, subject: undefined } : signed;
  if (subject !== undefined && (typeof subject !== 'string' || !TOKEN.test(subject))) throw new TypeError(`${caller}: invalid subject`);
  // The subject is signed with the path, so a link cannot be re-attributed to someone else.
  const file = subject === undefined ? path : `${path}#sub=${subject}`;
  const { expires, keyId, signature } = signer.sign({ station, file, expiresIn });
  const query = new URLSearchParams({ expires: String(expires), kid: keyId, sig: signature, ...(subject !== undefined ? { sub: subject } : {}) });
  return `${path}?${query}`;
}

function checkBase(base: string, caller: string): string {
  if (typeof base !== 'string' || !(base === '' || base.startsWith('/') || /^https?:\/\/[^/?#]+(\/[^?#]*)?$/.test(base))) {
    throw new TypeError(`${caller}: base must be '', a path starting with "/", or an http(s) URL`);
  }
  return base.endsWith('/') ? base.slice(0, -1) : base;
}

/**
 * Builds the URL builders for the given path templates.
 *
 * @example
 * const urls = endpointUrls({ recording: RECORDING_PATH, ... }, signer, '/api');
 * urls.media({ station: 'alpha', id: '12' });                                  // '/api/station/alpha/file/12/play'
 * urls.media({ station: 'alpha', id: '12' }, { signed: { expiresIn: 600 } });  // '/api/station/alpha/file/12/play?expires=…'
 */
export function endpointUrls(templates: EndpointTemplates, signer: UrlSigner | null, defaultBase: string): EndpointUrls {
  const base0 = checkBase(defaultBase, 'createStationFiles: baseUrl');
  const build = (template: string, ids: Readonly<Record<string, unknown>>, options: UrlOptions, caller: string): string => {
    const base = options.base === undefined ? base0 : checkBase(options.base, caller);
    const path = fillPath(template, ids, caller);
    const signed = options.signed ?? false;
    return base + (signed === false ? path : signPath(signer, String(ids.station), path, signed, caller));
  };
  return {
    recording: (ids, options = {}) => build(templates.recording, ids, options, 'url.recording'),
    media: (ids, options = {}) => build(templates.media, ids, options, 'url.media'),
    episode: (ids, options = {}) => build(templates.episode, ids, options, 'url.episode'),
    publicEpisode: (ids, options = {}) => build(templates.publicEpisode, ids, { base: options.base }, 'url.publicEpisode'),
  };
}

/** Options for {@link stationFileUrls}: the same `paths`, `baseUrl` and `signing` as the routers'. */
export interface StationFileUrlsOptions {
  paths?: EndpointPaths;
  baseUrl?: string;
  signing?: UrlSignerOptions;
}

/**
 * The URL builders of `files.url`, without routers: for a process that only writes links (a
 * feed generator, a command line) next to the app that serves them. Give it the same `paths`,
 * `baseUrl` and `signing` as createStationFiles.
 *
 * @example
 * const urls = stationFileUrls({ baseUrl: 'https://radio.example/api' });
 * urls.publicEpisode({ station: 'alpha', podcast: '1', episode: '9', ext: 'mp3' });
 * // 'https://radio.example/api/station/alpha/public/podcast/1/episode/9/download.mp3'
 */
export function stationFileUrls(options: StationFileUrlsOptions = {}): EndpointUrls {
  const known = ['paths', 'baseUrl', 'signing'];
  const unknown = Object.keys(options).find((k) => !known.includes(k));
  if (unknown !== undefined) throw new TypeError(`stationFileUrls: unknown option ${unknown} (known: ${known.join(', ')})`);
  const signer = options.signing ? createUrlSigner(options.signing) : null;
  return endpointUrls(readPaths(options.paths, 'stationFileUrls'), signer, options.baseUrl ?? '');
}
