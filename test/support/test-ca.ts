// A throwaway certificate authority made with the openssl command at test time: a CA and a server
// certificate for 127.0.0.1 / localhost signed by it, for TLS endpoints in tests.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TestCa {
  /** PEM file of the CA certificate (what clients trust). */
  caCert: string;
  /** The CA certificate itself, for Node's `ca` option. */
  caPem: Buffer;
  /** PEM files of the server certificate (signed by the CA) and its key. */
  serverCert: string;
  serverKey: string;
}

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: Buffer };
    if (e.code === 'ENOENT') throw new Error("openssl not found: install the Debian package 'openssl' (bash test/install-system-deps.sh)");
    throw new Error(`openssl ${args[0]} failed: ${e.stderr?.toString() ?? e.message}`);
  }
}

/**
 * Creates `dir` with a CA named `name` and a server certificate for `subjectAltName` (default:
 * 127.0.0.1 and localhost). The default lists 127.0.0.1 both as an IP (what Node checks for an IP
 * host) and as a DNS name (what nginx's proxy_ssl_verify checks: it matches with X509_check_host).
 */
export function makeTestCa(dir: string, name = 'station-files test CA', subjectAltName = 'IP:127.0.0.1,DNS:127.0.0.1,DNS:localhost'): TestCa {
  mkdirSync(dir, { recursive: true });
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      '2',
      '-subj',
      `/CN=${name}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1'], dir);
  writeFileSync(
    join(dir, 'server.ext'),
    [`subjectAltName=${subjectAltName}`, 'basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature,keyEncipherment', 'extendedKeyUsage=serverAuth'].join(
      '\n',
    ),
  );
  openssl(
    ['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'server.ext'],
    dir,
  );
  return {
    caCert: join(dir, 'ca.crt'),
    caPem: readFileSync(join(dir, 'ca.crt')),
    serverCert: join(dir, 'server.crt'),
    serverKey: join(dir, 'server.key'),
  };
}
