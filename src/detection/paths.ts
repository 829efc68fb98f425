// Where detection keeps its files under data_dir: the tap sockets (run/) and the snapshots.
import path from 'node:path';

export function tapSocketPath(dataDir: string, camera: string): string {
  return path.join(dataDir, 'run', `${camera}.tap`);
}

export function snapshotDir(dataDir: string, camera: string): string {
  return path.join(dataDir, 'snapshots', camera);
}
