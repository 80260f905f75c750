/** The endpoints' path templates: the panel-style defaults, or the host's own `paths`, checked once. */
import { MEDIA_PATH } from './media';
import { EPISODE_PATH, PUBLIC_EPISODE_PATH } from './podcasts';
import { RECORDING_PATH } from './recordings';

/** Route paths, relative to where the router is mounted. */
export interface EndpointPaths {
  recording?: string;
  media?: string;
  episode?: string;
  publicEpisode?: string;
}

/** Every template, after defaults. */
export type EndpointTemplates = Required<EndpointPaths>;

const REQUIRED: Record<keyof EndpointPaths, readonly string[]> = {
  recording: ['station', 'streamer', 'broadcast'],
  media: ['station', 'id'],
  episode: ['station', 'podcast', 'episode'],
  publicEpisode: ['station', 'podcast', 'episode', 'ext'],
};
const DEFAULTS: EndpointTemplates = { recording: RECORDING_PATH, media: MEDIA_PATH, episode: EPISODE_PATH, publicEpisode: PUBLIC_EPISODE_PATH };

/**
 * The templates to mount and link: each given path must start with `/` and name its ids.
 *
 * @example
 * readPaths({ media: '/s/:station/m/:id' }, 'createStationFiles').media // '/s/:station/m/:id'
 */
export function readPaths(paths: EndpointPaths | undefined, factory: string): EndpointTemplates {
  if (paths !== undefined && (typeof paths !== 'object' || paths === null)) throw new TypeError(`${factory}: paths must be an object`);
  const out = { ...DEFAULTS };
  for (const [name, path] of Object.entries(paths ?? {})) {
    const required = REQUIRED[name as keyof EndpointPaths];
    if (!required) throw new TypeError(`${factory}: unknown option paths.${name} (known: ${Object.keys(REQUIRED).join(', ')})`);
    if (path === undefined) continue;
    if (typeof path !== 'string' || !path.startsWith('/')) throw new TypeError(`${factory}: paths.${name} must start with "/"`);
    for (const p of required) {
      if (!path.includes(`:${p}`)) throw new TypeError(`${factory}: paths.${name} must contain :${p}`);
    }
    out[name as keyof EndpointPaths] = path;
  }
  return out;
}
