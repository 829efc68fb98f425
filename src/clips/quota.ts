// Clip quota (retention.clips_max_bytes): finished clips beyond it go oldest first, unless
// locked or being uploaded. Locked clips are never deleted by the quota; when they alone keep
// the total over it, a `quota` clip event says so (once, until the pressure goes away).
import type { ClipRow, ClipStore } from './clip-store';

export interface QuotaOutcome {
  totalBytes: number;
  deleted: ClipRow[];
  /** Set when the total is still over quota and only locked or uploading clips are left. */
  overBy: number;
}

export interface ClipQuotaContext {
  store: ClipStore;
  maxBytes: () => number;
  /** Deletes the clip's file and row and announces it; rejects if the file cannot be removed. */
  remove: (row: ClipRow, cause: string) => Promise<void>;
  /** Announces quota pressure that retention may not relieve. */
  pressure: (lockedOldest: ClipRow, cause: string) => void;
}

export class ClipQuota {
  private pressured = false;

  constructor(private readonly ctx: ClipQuotaContext) {}

  async enforce(): Promise<QuotaOutcome> {
    const max = this.ctx.maxBytes();
    const rows = this.ctx.store.withFiles();
    let total = rows.reduce((n, r) => n + (r.bytes ?? 0), 0);
    const deleted: ClipRow[] = [];
    for (const row of rows) {
      if (total <= max) break;
      if (row.locked === 1 || row.state === 'uploading') continue;
      await this.ctx.remove(row, `clip quota: ${total} bytes of clips exceed retention.clips_max_bytes ${max}; oldest unlocked clip deleted`);
      total -= row.bytes ?? 0;
      deleted.push(row);
    }
    const overBy = Math.max(0, total - max);
    if (overBy > 0 && !this.pressured) {
      const locked = rows.filter((r) => r.locked === 1 && !deleted.includes(r));
      const lockedBytes = locked.reduce((n, r) => n + (r.bytes ?? 0), 0);
      const oldest = locked[0] ?? rows.find((r) => !deleted.includes(r));
      if (oldest) {
        this.ctx.pressure(oldest, `clips hold ${total} bytes, over retention.clips_max_bytes ${max} by ${overBy}; ${locked.length} locked clips (${lockedBytes} bytes) are never deleted by retention: unlock or delete some`);
      }
    }
    this.pressured = overBy > 0;
    return { totalBytes: total, deleted, overBy };
  }
}
