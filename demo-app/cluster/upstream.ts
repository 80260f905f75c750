/**
 * The upstream of several app instances in a config from station-files' nginxConfig(), which
 * takes one `app: 'host:port'` and emits `upstream station_files_app { server …; keepalive 16; }`.
 * (A library option `app: string | string[]`, or `upstream: { servers, nextUpstream }`, would
 * make this replacement unnecessary.)
 */

const GENERATED = /upstream station_files_app \{ server [^;{}]+; keepalive 16; \}/;

/**
 * `site` with its upstream listing every one of `servers`, and, for the whole http block, a
 * request that one failed to answer (refused, reset, timed out, nothing sent to the client yet)
 * tried on the next; POSTs are never sent twice (nginx's non_idempotent stays off).
 */
export function upstreamSite(site: string, servers: readonly string[]): string {
  if (!GENERATED.test(site)) throw new Error('nginxConfig() output has no upstream station_files_app block to extend');
  if (servers.length === 0) throw new Error('upstreamSite: no servers');
  const lines = servers.map((s) => `  server ${s} max_fails=1 fail_timeout=5s;`).join('\n');
  return site.replace(
    GENERATED,
    `proxy_next_upstream error timeout;
proxy_next_upstream_tries ${servers.length};
proxy_connect_timeout 2s;
upstream station_files_app {
${lines}
  keepalive 16;
}`,
  );
}
