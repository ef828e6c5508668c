// Time is a dependency. The resource clock can be frozen and moved by tests (and later by the admin API);
// the wall clock (signature windows, throttling) always follows real time.

export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock that follows a base clock, shifted by an offset, or stands still while frozen. */
export class ControllableClock implements Clock {
  private offsetMs = 0;
  private frozenAt: number | undefined;

  constructor(private readonly base: Clock = systemClock) {}

  now(): number {
    return this.frozenAt ?? this.base.now() + this.offsetMs;
  }

  freeze(at: number = this.now()): void {
    this.frozenAt = at;
  }

  unfreeze(): void {
    if (this.frozenAt !== undefined) this.offsetMs = this.frozenAt - this.base.now();
    this.frozenAt = undefined;
  }

  advance(ms: number): void {
    if (this.frozenAt !== undefined) this.frozenAt += ms;
    else this.offsetMs += ms;
  }

  get frozen(): boolean {
    return this.frozenAt !== undefined;
  }
}
