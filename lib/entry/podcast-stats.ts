/**
 * `station-files/podcast-stats`: podcast download counts from DownloadEvents, after the IAB
 * Tech Lab Podcast Measurement Technical Guidelines v2.3.
 */
export { countPodcastDownloads, truncateIp, listenerKey, classifyUserAgent, AGENT_RULES_SOURCE } from '../log/podcast-stats';
export type {
  AgentClass,
  AgentKind,
  EpisodeInfo,
  EpisodeRef,
  ExclusionReason,
  Minimum,
  MinimumBasis,
  PodcastCountOptions,
  PodcastCounts,
  PodcastDownloadCount,
  PodcastExclusions,
  PodcastWindow,
} from '../log/podcast-stats';
