// The baseline of nginx proxying a presigned S3 URL with no app in front (s3-proxy-compare,
// s3-throughput): a plain `location / { proxy_pass http://<S3>; }` server block, URLs presigned in
// the runner with the SDK presigner, and the nginx processes (master + workers) whose CPU counts.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { freePort, startNginx, type NginxInstance } from '../../support/nginx';
import { sleep } from './client';
import { nginxWorkers } from './proc-rss';

/** An nginx server block that proxies any request URI (a presigned path and query) to S3 unchanged. */
export function presignedServer(port: number, s3Host: string): string {
  return `# benchmark baseline: nginx proxying presigned URLs, no app in front
upstream bench_s3_presigned { server ${s3Host}; keepalive 16; }
server {
    listen 127.0.0.1:${port};
    server_tokens off;
    location / {
        proxy_pass http://bench_s3_presigned;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host ${s3Host};
        proxy_max_temp_file_size 0;
    }
}
`;
}

/** `base` (a presignedServer's URL) + the path and query of a GetObject URL for `key`, presigned for 1 h. */
export async function presignedUrl(base: string, client: S3Client, bucket: string, key: string): Promise<string> {
  const url = new URL(await getSignedUrl(client, new GetObjectCommand({ Bucket: bucket, Key: key }), { expiresIn: 3600 }));
  return `${base}${url.pathname}${url.search}`;
}

/** An nginx with only a presignedServer block in front of `s3Endpoint` (plain HTTP). */
export async function startPresignedNginx(s3Endpoint: string): Promise<NginxInstance> {
  const port = await freePort();
  return startNginx({ config: presignedServer(port, new URL(s3Endpoint).host), listenPort: port });
}

/**
 * The master and worker processes of the nginx whose prefix directory is `dir` (empty if unreadable).
 * Waits up to 2 s for the workers: the port may accept connections before the master forked them.
 */
export async function nginxProcesses(dir: string): Promise<number[]> {
  let master: number;
  try {
    master = Number(readFileSync(path.join(dir, 'nginx.pid'), 'utf8').trim());
  } catch {
    return [];
  }
  for (let waited = 0; waited < 2000; waited += 20) {
    const workers = nginxWorkers(dir);
    if (workers.length) return [master, ...workers];
    await sleep(20);
  }
  return [];
}
