// Helpers for the provisioning tests: a checksum of a whole installed tree (content, mode and
// symlink targets) to prove a second install run changed nothing, and a script runner.
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { findPipelinesDir } from '../../src/pipeline/templates';

export const REPO = path.dirname(findPipelinesDir(__dirname));

/** path → "mode sha256" (files), "-> target" (links), "dir mode" (directories). */
export function treeSums(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const name of fs.readdirSync(dir).sort()) {
      const p = path.join(dir, name);
      const rel = path.relative(root, p);
      const st = fs.lstatSync(p);
      const mode = (st.mode & 0o7777).toString(8);
      if (st.isSymbolicLink()) out.set(rel, `-> ${fs.readlinkSync(p)}`);
      else if (st.isDirectory()) {
        out.set(rel, `dir ${mode}`);
        walk(p);
      } else out.set(rel, `${mode} ${crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex')}`);
    }
  };
  walk(root);
  return out;
}

export interface ScriptResult { code: number | null; stdout: string; stderr: string }

export function script(file: string, args: string[], env: NodeJS.ProcessEnv = {}): ScriptResult {
  const r = spawnSync('bash', [path.join(REPO, file), ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
