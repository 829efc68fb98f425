// Size-limited tmpfs mounts for disk-full tests (root only; CI runs as root). Importing this
// module registers one file-level after() hook that unmounts everything mounted through it.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after } from 'node:test';

const mounts: string[] = [];
// Registered at import, i.e. at the test file's top level: a hook registered from inside a
// running test would belong to that test only.
after(() => {
  for (const m of mounts.reverse()) {
    const r = spawnSync('umount', ['-l', m], { encoding: 'utf8' });
    if (r.status !== 0) console.error(`umount ${m}: ${r.stderr}`);
  }
  mounts.length = 0;
});

/** Unmounts `mnt` (lazily, newest first) after the file's tests; for mounts a test makes itself. */
export function unmountAfter(mnt: string): void {
  mounts.push(mnt);
}

/** Mounts a tmpfs of `sizeMb` at dir/<name> and returns its path; unmounted after the file's tests. */
export function mountTmpfs(dir: string, sizeMb: number, name = 'mnt', options = ''): string {
  const mnt = path.join(dir, name);
  fs.mkdirSync(mnt, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', `${options ? `${options},` : ''}size=${sizeMb}m`, 'tmpfs', mnt]);
  unmountAfter(mnt);
  return mnt;
}
