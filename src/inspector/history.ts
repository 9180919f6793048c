/**
 * The inspector's history: the entries replayed to a newly opened page, bounded twice — at most `size`
 * entries, and none older than `windowMs` before the newest. A ring buffer, so that adding is O(1) however
 * large the bound.
 */

export interface Timed {
  readonly at: number;
}

export class History<T extends Timed> {
  private readonly ring: (T | undefined)[];
  private start = 0;
  private count = 0;

  constructor(
    readonly size: number,
    readonly windowMs: number,
  ) {
    this.ring = new Array<T | undefined>(size);
  }

  get length(): number {
    return this.count;
  }

  push(entry: T): void {
    if (this.count < this.size) {
      this.ring[(this.start + this.count) % this.size] = entry;
      this.count++;
    } else {
      this.ring[this.start] = entry;
      this.start = (this.start + 1) % this.size;
    }
    this.trim(entry.at);
  }

  /** Drops the entries older than the window before `now`. */
  trim(now: number): void {
    while (this.count > 0) {
      const oldest = this.ring[this.start] as T;
      if (now - oldest.at <= this.windowMs) return;
      this.ring[this.start] = undefined;
      this.start = (this.start + 1) % this.size;
      this.count--;
    }
  }

  /** Oldest first. */
  toArray(): T[] {
    const out: T[] = [];
    for (let i = 0; i < this.count; i++) out.push(this.ring[(this.start + i) % this.size] as T);
    return out;
  }
}
