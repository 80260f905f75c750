/**
 * `station-files/podcast-stats`: podcast download counts from DownloadEvents, after the IAB
 * Tech Lab Podcast Measurement Technical Guidelines.
 */
export { countPodcastDownloads, truncateIp, listenerKey, DEFAULT_MIN_BYTES, PODCAST_PLAYER_USER_AGENTS } from '../log/podcast-stats';
export type { PodcastCountOptions, PodcastDownloadCount, PodcastWindow } from '../log/podcast-stats';
