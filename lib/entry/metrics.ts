/**
 * `station-files/metrics`: Prometheus metrics of downloads, S3 requests, limits and sinks in the
 * host's prom-client registry. Needs `prom-client` installed next to station-files.
 */
export { stationFilesMetrics } from '../metrics/prometheus';
export type { StationFilesMetrics, StationFilesMetricsOptions } from '../metrics/prometheus';
export { s3ErrorType } from '../metrics/s3';
export type { MiddlewareHost, S3ErrorType, S3Operation } from '../metrics/s3';
export type { DownloadMetrics, LimitName } from '../log/metrics-hooks';
