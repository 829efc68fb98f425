// clip.upload: queues a clip for upload to a pre-signed HTTP(S) URL (S3 / MinIO style), so
// the device never holds cloud credentials. Retries and progress: src/clips/uploader.ts.
import { z } from 'zod';
import { clipView } from '../../clips/clip-store';
import { CommandError, defineCommand, type CommandDef } from '../registry';
import { clipId, clipsOf, requireClip } from './clip-id';
import type { CommandContext } from './context';

/** Header names and values that cannot smuggle a second header or request line. */
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/;

export const clipUploadCommand = (ctx: CommandContext): CommandDef => defineCommand({
  name: 'clip.upload',
  description: 'Uploads a ready clip to a pre-signed http(s) URL with PUT; retried with backoff, resumed after a restart',
  args: z.strictObject({
    id: clipId,
    url: z.string().min(1).max(8192),
    method: z.literal('PUT').default('PUT'),
    headers: z.record(z.string().regex(HEADER_NAME, 'must be an HTTP header name'), z.string().max(4096).regex(/^[^\r\n]*$/, 'must be one line')).default({}),
  }),
  handler: (a) => {
    let url: URL;
    try {
      url = new URL(a.url);
    } catch {
      throw new CommandError('bad_url', 'url is not a valid URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CommandError('bad_url', `url must be http:// or https://, not ${url.protocol}//`);
    const row = requireClip(ctx, a.id);
    if (!row.path || !row.sha256 || !['ready', 'uploaded', 'failed', 'uploading'].includes(row.state)) {
      throw new CommandError('not_ready', `clip "${a.id}" is ${row.state}${row.cause ? ` (${row.cause})` : ''}; only a built clip can be uploaded`);
    }
    const lower = Object.fromEntries(Object.entries(a.headers).map(([k, v]) => [k.toLowerCase(), v]));
    if ('content-length' in lower) throw new CommandError('bad_args', 'headers: content-length is set by vigil from the file size');
    return clipView(clipsOf(ctx).uploader.enqueue(row, a.url, a.method, lower));
  },
});
