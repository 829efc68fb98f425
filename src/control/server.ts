// Local control socket for the `vigil` CLI: newline-delimited JSON requests and responses
// over a Unix socket that only the daemon's user may open.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Logger } from '../log';
import type { CommandRegistry, CommandResponse } from './registry';

/** Requests larger than this are refused: the CLI never needs more, a runaway client might. */
const MAX_REQUEST_BYTES = 64 * 1024;

export interface ControlServerContext {
  socketPath: string;
  commands: CommandRegistry;
  log: Logger;
}

export class ControlServer {
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();

  constructor(private readonly ctx: ControlServerContext) {}

  async start(): Promise<void> {
    const { socketPath } = this.ctx;
    fs.mkdirSync(path.dirname(socketPath), { recursive: true });
    // A socket file left by a killed daemon would make listen() fail with EADDRINUSE.
    fs.rmSync(socketPath, { force: true });
    const server = net.createServer((sock) => this.serve(sock));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      // umask for the bind so the socket is never world-accessible, even for an instant;
      // the bind of a Unix socket happens inside listen(), so restoring right after is safe.
      const old = process.umask(0o177);
      try {
        server.listen(socketPath, () => resolve());
      } finally {
        process.umask(old);
      }
    });
    fs.chmodSync(socketPath, 0o600);
    this.server = server;
    this.ctx.log.info({ socketPath }, 'control socket listening');
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    fs.rmSync(this.ctx.socketPath, { force: true });
  }

  private serve(sock: net.Socket): void {
    this.sockets.add(sock);
    sock.on('close', () => this.sockets.delete(sock));
    sock.on('error', (err) => this.ctx.log.debug({ err }, 'control client error'));
    let buf = '';
    let refused = false;
    sock.setEncoding('utf8');
    sock.on('data', (chunk: string) => {
      if (refused) return;
      buf += chunk;
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      for (const raw of lines) {
        if (Buffer.byteLength(raw) > MAX_REQUEST_BYTES) {
          refused = true;
          break;
        }
        const line = raw.trim();
        if (line) void this.handle(sock, line);
      }
      if (refused || Buffer.byteLength(buf) > MAX_REQUEST_BYTES) {
        refused = true;
        buf = '';
        this.refuse(sock);
      }
    });
  }

  private refuse(sock: net.Socket): void {
    this.reply(sock, { id: null, status: 'error', data: null, error: { code: 'too_large', message: `request exceeds ${MAX_REQUEST_BYTES} bytes` } });
    sock.end();
  }

  private async handle(sock: net.Socket, line: string): Promise<void> {
    let req: unknown;
    try {
      req = JSON.parse(line);
    } catch (err) {
      return this.reply(sock, { id: null, status: 'error', data: null, error: { code: 'bad_json', message: `invalid JSON: ${(err as Error).message}` } });
    }
    if (!req || typeof req !== 'object' || typeof (req as { command?: unknown }).command !== 'string') {
      return this.reply(sock, { id: null, status: 'error', data: null, error: { code: 'bad_request', message: 'request must be an object with a string "command"' } });
    }
    const r = req as { id?: unknown; command: string; args?: unknown };
    const res = await this.ctx.commands.dispatch({ id: typeof r.id === 'string' ? r.id : undefined, command: r.command, args: r.args });
    this.reply(sock, res);
  }

  private reply(sock: net.Socket, res: CommandResponse): void {
    if (!sock.destroyed) sock.write(`${JSON.stringify(res)}\n`);
  }
}
