// One bound on the bytes of request bodies held in memory across all connections, before any request is
// authenticated. Without it, 100 connections trickling 10 MB bodies held a gigabyte. When a chunk does not
// fit, the largest bodies held by other requests are dropped first, while they are larger than the one
// asking: a client that trickles huge bodies loses them, and well-behaved small requests go on.

export interface BodyHolder {
  /** Called when this holder's body is dropped to make room for another; it must stop reading and release. */
  evict(): void;
}

export class BodyBudget {
  private readonly held = new Map<BodyHolder, number>();
  private total = 0;

  constructor(readonly limitBytes: number) {}

  get heldBytes(): number {
    return this.total;
  }

  /** Counts `bytes` more against `holder`, evicting larger holders if needed; false when they do not fit. */
  take(holder: BodyHolder, bytes: number): boolean {
    const own = this.held.get(holder) ?? 0;
    while (this.total + bytes > this.limitBytes) {
      const largest = this.largestOther(holder);
      if (largest === undefined || largest[1] <= own + bytes) return false;
      this.release(largest[0]);
      largest[0].evict();
    }
    this.held.set(holder, own + bytes);
    this.total += bytes;
    return true;
  }

  /** Returns all of a holder's bytes (its request finished, failed or was dropped). */
  release(holder: BodyHolder): void {
    const bytes = this.held.get(holder);
    if (bytes === undefined) return;
    this.held.delete(holder);
    this.total -= bytes;
  }

  private largestOther(holder: BodyHolder): [BodyHolder, number] | undefined {
    let largest: [BodyHolder, number] | undefined;
    for (const entry of this.held) if (entry[0] !== holder && (largest === undefined || entry[1] > largest[1])) largest = entry;
    return largest;
  }
}
