// Client side of the control socket, shared by the `vigil` CLI and tests.
import net from 'node:net';
import type { CommandResponse } from '../control/registry';

export class DaemonUnreachable extends Error {
  constructor(readonly socketPath: string, cause: string) {
    super(`cannot reach vigild at ${socketPath}: ${cause}`);
    this.name = 'DaemonUnreachable';
  }
}

export function callDaemon(socketPath: string, command: string, args: unknown = {}, timeoutMs = 10000): Promise<CommandResponse> {
  return new Promise((resolve, reject) => {
    const sock = net.createConnection(socketPath);
    const id = `cli-${process.pid}-${Date.now()}`;
    let buf = '';
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new DaemonUnreachable(socketPath, `no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    sock.setEncoding('utf8');
    sock.on('connect', () => sock.write(`${JSON.stringify({ id, command, args })}\n`));
    sock.on('data', (chunk: string) => {
      buf += chunk;
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      sock.end();
      try {
        resolve(JSON.parse(buf.slice(0, nl)) as CommandResponse);
      } catch (err) {
        reject(new Error(`garbled answer from vigild: ${(err as Error).message}`));
      }
    });
    sock.on('close', () => {
      clearTimeout(timer);
      // resolve/reject are no-ops once settled; this only fires for a close without an answer
      reject(new DaemonUnreachable(socketPath, 'connection closed without an answer'));
    });
    sock.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new DaemonUnreachable(socketPath, err.code === 'ENOENT' ? 'no socket (is vigild running?)' : err.code === 'ECONNREFUSED' ? 'connection refused (vigild not running?)' : err.message));
    });
  });
}
