// Shared teardown for FleetLink tests: each test file keeps its own fixture shape, all of them
// hold a link, its SQLite file and a temp dir, and the controller clients connected to the broker.
import fs from 'node:fs';
import type { Db } from '../../src/db';
import type { FleetLink } from '../../src/fleet/link';
import type { Mosquitto, TestClient } from './mosquitto';

export interface LinkFixtureBase { link: FleetLink; db: Db; dir: string }

export async function disposeLinkFixtures(fixtures: LinkFixtureBase[], clients: TestClient[], broker: Mosquitto | undefined): Promise<void> {
  for (const c of clients) await c.end();
  for (const f of fixtures) {
    await f.link.stop();
    f.db.close();
    fs.rmSync(f.dir, { recursive: true, force: true });
  }
  await broker?.dispose();
}
