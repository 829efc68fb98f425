// Generates a throwaway PKI with openssl for TLS tests: a CA, a server certificate for
// 127.0.0.1 (IP subjectAltName, which is what Node checks for an IP host) and a client
// certificate for mTLS. EC P-256 keys keep generation fast.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface TestPki {
  dir: string;
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  dispose(): void;
}

const DAYS = '2';

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

function leaf(dir: string, name: string, cn: string, extensions: string[]): void {
  const ext = path.join(dir, `${name}.ext`);
  fs.writeFileSync(ext, `${extensions.join('\n')}\n`);
  openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`], dir);
  openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial',
    '-out', `${name}.crt`, '-days', DAYS, '-sha256', '-extfile', ext], dir);
}

export function makePki(): TestPki {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-pki-'));
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', 'ca.key', '-out', 'ca.crt', '-days', DAYS, '-subj', '/CN=vigil test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  leaf(dir, 'server', '127.0.0.1', ['basicConstraints=CA:FALSE', 'subjectAltName=IP:127.0.0.1', 'extendedKeyUsage=serverAuth']);
  leaf(dir, 'client', 'vigil-test-client', ['basicConstraints=CA:FALSE', 'extendedKeyUsage=clientAuth']);
  const at = (f: string): string => path.join(dir, f);
  return {
    dir,
    ca: at('ca.crt'),
    serverCert: at('server.crt'),
    serverKey: at('server.key'),
    clientCert: at('client.crt'),
    clientKey: at('client.key'),
    dispose: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
