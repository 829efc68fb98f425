#!/usr/bin/env node
// vigil: the technician's CLI. Talks to vigild over its local socket.
// Exit codes: 0 ok, 1 the command answered with an error, 2 bad usage, 3 daemon unreachable.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config/load';
import { formatSize } from '../config/size';
import type { AppStatus } from '../app';
import { callDaemon, DaemonUnreachable } from './client';

const USAGE = `usage: vigil [--json] [--socket PATH | --config PATH] <command>
commands:
  status                      cameras, disk and segments
  call <command> [json-args]  send any daemon command, e.g. vigil call segments.list '{"camera":"front"}'`;

const EXIT = { ok: 0, commandError: 1, usage: 2, unreachable: 3 } as const;

function fail(code: number, msg: string): never {
  process.stderr.write(`vigil: ${msg}\n`);
  process.exit(code);
}

/** Socket path: --socket, $VIGIL_SOCKET, else data_dir/vigil.sock of the config in use. */
function socketPath(opts: { socket?: string; config?: string }): string {
  if (opts.socket) return opts.socket;
  if (process.env.VIGIL_SOCKET) return process.env.VIGIL_SOCKET;
  const bundled = path.resolve(__dirname, '../../../provisioning/dev.yaml');
  const candidates = [opts.config, process.env.VIGIL_CONFIG, '/etc/vigil/config.yaml', bundled].filter((c): c is string => !!c);
  const file = opts.config ?? candidates.find((c) => fs.existsSync(c));
  if (!file) fail(EXIT.usage, 'no config found; pass --config PATH or --socket PATH');
  try {
    return path.join(loadConfig(file).data_dir, 'vigil.sock');
  } catch (err) {
    if (err instanceof ConfigError) fail(EXIT.usage, `${err.message}`);
    throw err;
  }
}

function printStatus(s: AppStatus): void {
  const lines = [`vigild ${s.version} on ${s.device}, pid ${s.pid}, up ${s.uptimeS} s`, ''];
  lines.push('CAMERA      STATE        FPS  ENCODER       SEGMENTS  RESTARTS  LAST CAUSE');
  for (const c of s.cameras) {
    const seg = s.segments.find((x) => x.camera === c.camera);
    lines.push(`${c.camera.padEnd(11)} ${c.state.padEnd(12)} ${c.fpsIn.toFixed(0).padStart(3)}  ${c.encoder.padEnd(13)} ${String(seg?.segments ?? 0).padStart(8)}  ${String(c.restarts).padStart(8)}  ${c.lastCause ?? '-'}`);
  }
  if (s.stages?.length) {
    lines.push('', 'STAGE              STATE               UPTIME  RESTARTS  LAST CAUSE');
    for (const st of s.stages) {
      const up = `${Math.max(0, Math.round((Date.now() - st.since) / 1000))} s`;
      lines.push(`${st.name.padEnd(18)} ${st.state.padEnd(19)} ${up.padStart(6)}  ${String(st.restarts).padStart(8)}  ${st.last_cause ?? '-'}`);
    }
  }
  if (s.supervisor) lines.push(`supervisor: event-loop lag p99 ${s.supervisor.loop_lag_p99_ms ?? '-'} ms, watchdog pings ${s.supervisor.watchdog_pings}`);
  const d = s.retention.disk;
  lines.push('', d ? `disk: ${s.retention.state}, ${formatSize(d.freeBytes)} free of ${formatSize(d.totalBytes)} (${d.freePercent}%), reserve ${formatSize(d.requiredBytes)}` : 'disk: not read yet');
  if (s.fleet) {
    const l = s.fleet.link;
    const o = s.fleet.outbox;
    lines.push(`fleet link: ${l.state}${l.connected_since ? ` since ${l.connected_since}` : ''}, reconnects ${l.reconnects}${l.last_error ? `, last error: ${l.last_error}` : ''}`);
    lines.push(`outbox: ${o.depth} events waiting (${formatSize(o.bytes)})${o.oldestMs ? `, oldest ${new Date(o.oldestMs).toISOString()}` : ''}${o.dropped ? `, ${o.dropped} dropped at the cap` : ''}`);
  }
  lines.push(`retention: deleted ${s.retention.deletedSegments} segments (${formatSize(s.retention.deletedBytes)})${s.retention.lastError ? `, last error: ${s.retention.lastError}` : ''}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      options: { json: { type: 'boolean', default: false }, socket: { type: 'string' }, config: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    fail(EXIT.usage, `${(err as Error).message}\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const [verb, ...rest] = positionals;
  let command: string;
  let args: unknown = {};
  if (verb === 'status') {
    command = 'status';
  } else if (verb === 'call') {
    if (!rest[0]) fail(EXIT.usage, 'call needs a command name, e.g. vigil call ping');
    command = rest[0];
    if (rest[1] !== undefined) {
      try {
        args = JSON.parse(rest[1]);
      } catch (err) {
        fail(EXIT.usage, `call arguments must be JSON: ${(err as Error).message}`);
      }
    }
  } else {
    fail(EXIT.usage, verb ? `unknown command "${verb}"\n${USAGE}` : USAGE);
  }
  const sock = socketPath(values);
  try {
    const res = await callDaemon(sock, command, args);
    if (values.json || verb === 'call') process.stdout.write(`${JSON.stringify(values.json ? res : res.data ?? res.error, null, 2)}\n`);
    else if (res.status === 'ok') printStatus(res.data as AppStatus);
    if (res.status !== 'ok') fail(EXIT.commandError, `${res.error?.code}: ${res.error?.message}`);
  } catch (err) {
    if (err instanceof DaemonUnreachable) fail(EXIT.unreachable, err.message);
    throw err;
  }
}

void main();
