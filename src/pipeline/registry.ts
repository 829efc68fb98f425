// What the GStreamer registry on this machine can build. Encoder choice and the pre-flight
// check of a launch string both work on this set of element names, so they stay pure and
// testable against recorded listings from boards we do not have in CI.
import { execFile } from 'node:child_process';

export const GST_INSPECT = 'gst-inspect-1.0';

/** Colour codes only appear with --color or a terminal, but a stray one must not hide an element. */
const ANSI = /\x1b\[[0-9;]*m/g;

/**
 * gst-inspect-1.0 prints three kinds of feature lines:
 *   `x264:  x264enc: x264 H.264 Encoder`                    element (two spaces after the plugin)
 *   `typefindfunctions: video/mpegts: ts, mts`               typefinder (one space)
 *   `coretracers:  latency (GstTracerFactory)`                tracer, device provider, ...
 * Only the first kind can appear in a launch string.
 */
const ELEMENT_LINE = /^[^\s:]+: {2}([^\s:]+): /;

/** Element names from the output of plain `gst-inspect-1.0`; '#' lines are fixture comments. */
export function parseInspectListing(text: string): Set<string> {
  const out = new Set<string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(ANSI, '');
    if (line.startsWith('#')) continue;
    const m = ELEMENT_LINE.exec(line);
    if (m?.[1]) out.add(m[1]);
  }
  return out;
}

export interface ProbeOptions {
  /** The gst-inspect binary; tests point it at a missing path. */
  command?: string;
  /** A cold registry cache makes the first run scan every plugin, which takes seconds on a Pi. */
  timeoutMs?: number;
}

interface ExecFailure extends Error {
  code?: string | number | null;
  killed?: boolean;
  signal?: NodeJS.Signals | null;
}

export function probeRegistry(opts: ProbeOptions = {}): Promise<Set<string>> {
  const command = opts.command ?? GST_INSPECT;
  const timeout = opts.timeoutMs ?? 20_000;
  return new Promise((resolve, reject) => {
    execFile(
      command,
      [],
      {
        timeout,
        maxBuffer: 64 * 1024 * 1024,
        encoding: 'utf8',
        env: { ...process.env, GST_INSPECT_NO_COLORS: '1', PAGER: 'cat' },
      },
      (error, stdout, stderr) => {
        if (error) {
          reject(describeFailure(command, timeout, error as ExecFailure, stderr));
          return;
        }
        const elements = parseInspectListing(stdout);
        if (elements.size === 0) {
          reject(new Error(`${command} listed no elements; is GST_PLUGIN_PATH or the registry broken? stderr: ${tail(stderr)}`));
          return;
        }
        resolve(elements);
      },
    );
  });
}

function describeFailure(command: string, timeoutMs: number, error: ExecFailure, stderr: string): Error {
  if (error.code === 'ENOENT') {
    return new Error(`${command} not found: GStreamer tools are not installed (Debian/Ubuntu package gstreamer1.0-tools)`, { cause: error });
  }
  if (error.code === 'EACCES') {
    return new Error(`${command} is not executable`, { cause: error });
  }
  if (error.killed && error.signal) {
    return new Error(`${command} did not finish within ${timeoutMs / 1000} s (killed with ${error.signal})`, { cause: error });
  }
  if (error.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') {
    return new Error(`${command} printed more output than expected`, { cause: error });
  }
  return new Error(`${command} failed (exit ${String(error.code)}): ${tail(stderr)}`, { cause: error });
}

function tail(s: string): string {
  const t = s.trim();
  return t.length > 500 ? `...${t.slice(-500)}` : t || '(no stderr)';
}
