// One upload attempt: streams a file to a pre-signed HTTP(S) URL with Content-Length and the
// caller's headers. Never reads the file into memory; reports progress as bytes leave.
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';

export interface PutOutcome {
  status: number | null;
  /** First bytes of the response body (S3 puts its error code there), or the network error. */
  detail: string;
}

export interface PutRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  file: string;
  bytes: number;
  timeoutMs: number;
  onProgress: (sent: number) => void;
  signal: AbortSignal;
}

const BODY_SNIPPET = 300;

export function putFile(req: PutRequest): Promise<PutOutcome> {
  return new Promise((resolve) => {
    const url = new URL(req.url);
    const mod = url.protocol === 'https:' ? https : http;
    let settled = false;
    const done = (o: PutOutcome): void => {
      if (settled) return;
      settled = true;
      resolve(o);
    };
    const request = mod.request(url, {
      method: req.method,
      headers: { ...req.headers, 'content-length': String(req.bytes) },
      timeout: req.timeoutMs,
      signal: req.signal,
    });
    request.on('timeout', () => request.destroy(new Error(`no progress for ${req.timeoutMs} ms`)));
    request.on('error', (err) => done({ status: null, detail: err.message }));
    request.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => void (body.length < BODY_SNIPPET && (body += c)));
      res.on('end', () => done({ status: res.statusCode ?? null, detail: body.slice(0, BODY_SNIPPET).trim() }));
      res.on('error', (err) => done({ status: res.statusCode ?? null, detail: err.message }));
    });
    const stream = fs.createReadStream(req.file);
    let sent = 0;
    stream.on('data', (c) => {
      sent += c.length;
      req.onProgress(sent);
    });
    stream.on('error', (err) => request.destroy(err));
    stream.pipe(request);
  });
}
