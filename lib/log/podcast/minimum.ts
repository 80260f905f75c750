/**
 * The byte threshold of one episode (IAB v2.3 §5.5.3): one minute of the episode's audio plus its
 * ID3 tag; when the bitrate cannot be known, the whole file.
 */

/** What the host knows about an episode; every field optional. */
export interface EpisodeInfo {
  /** Audio length in seconds (with `size`, gives the bitrate). */
  durationSeconds?: number;
  /** Audio bitrate in bits per second (128000 for 128 kbit/s). */
  bitrate?: number;
  /** Size of the ID3 tag at the start of the file, in bytes (0 when unknown). */
  id3Bytes?: number;
  /** File size in bytes (else the events' `size`). */
  size?: number;
}

/** How an episode's threshold was found: from its bitrate, from duration and size, the host's fixed `minBytes`, or the whole file. */
export type MinimumBasis = 'bitrate' | 'duration' | 'min-bytes' | 'whole-file';

export interface Minimum {
  /** Bytes a listener must get; null when the whole file is needed and its size is unknown (nothing can count). */
  bytes: number | null;
  basis: MinimumBasis;
}

const positive = (n: number | undefined): n is number => typeof n === 'number' && Number.isFinite(n) && n > 0;

/**
 * One minute of audio plus the ID3 tag, capped at the file size: from `bitrate`, else from
 * `durationSeconds` and the size, else `minBytes` when the host set one, else the whole file.
 * @example
 * episodeMinimum({ bitrate: 128_000, id3Bytes: 40_000 }, 50_000_000, undefined); // { bytes: 1_000_000, basis: 'bitrate' }
 */
export function episodeMinimum(info: EpisodeInfo | undefined, eventSize: number | null, minBytes: number | undefined): Minimum {
  const size = positive(info?.size) ? info.size : eventSize;
  const id3 = positive(info?.id3Bytes) ? info.id3Bytes : 0;
  const cap = (n: number): number => Math.ceil(size !== null ? Math.min(n, size) : n);
  if (positive(info?.bitrate)) return { bytes: cap(id3 + (info.bitrate / 8) * 60), basis: 'bitrate' };
  if (positive(info?.durationSeconds) && size !== null && size > id3) {
    return { bytes: cap(id3 + ((size - id3) * 60) / info.durationSeconds), basis: 'duration' };
  }
  if (minBytes !== undefined) return { bytes: cap(minBytes), basis: 'min-bytes' };
  return { bytes: size, basis: 'whole-file' };
}
