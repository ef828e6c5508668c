// Time is a dependency. The resource clock can be frozen and moved by tests (and later by the admin API);
// the wall clock (signature windows, throttling) always follows real time.

export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export interface ClockState {
  offsetMs?: number;
  frozenAt?: number;
}

export function isClockState(value: unknown): value is ClockState {
  if (typeof value !== "object" || value === null) return false;
  const { offsetMs, frozenAt } = value as Record<string, unknown>;
  return (offsetMs === undefined || Number.isFinite(offsetMs)) && (frozenAt === undefined || Number.isFinite(frozenAt));
}

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

  /** Jumps to a time; a frozen clock stays frozen there. */
  set(at: number): void {
    if (this.frozenAt !== undefined) this.frozenAt = at;
    else this.offsetMs = at - this.base.now();
  }

  /** Back to the base clock's time, running. */
  reset(): void {
    this.offsetMs = 0;
    this.frozenAt = undefined;
  }

  /** What a restart needs to keep the same time: the offset from the base clock, or the frozen instant. */
  snapshot(): ClockState {
    return this.frozenAt !== undefined ? { frozenAt: this.frozenAt } : { offsetMs: this.offsetMs };
  }

  restore(state: ClockState): void {
    this.offsetMs = state.offsetMs ?? 0;
    this.frozenAt = state.frozenAt;
  }

  get frozen(): boolean {
    return this.frozenAt !== undefined;
  }
}
