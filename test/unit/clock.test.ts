// The controllable resource clock: follows a base clock, can be frozen, advanced and unfrozen without jumps.
import { describe, expect, it } from "vitest";
import { ControllableClock, systemClock, type Clock } from "../../src/clock.js";

function setup(start = 1_000_000) {
  const base = { t: start };
  const fake: Clock = { now: () => base.t };
  return { base, clock: new ControllableClock(fake) };
}

describe("ControllableClock", () => {
  it("follows its base clock while running", () => {
    const { base, clock } = setup();
    expect(clock.frozen).toBe(false);
    expect(clock.now()).toBe(1_000_000);
    base.t += 1234;
    expect(clock.now()).toBe(1_001_234);
  });

  it("defaults to the system clock", () => {
    const clock = new ControllableClock();
    const before = Date.now();
    const now = clock.now();
    const after = Date.now();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(after);
    expect(Math.abs(systemClock.now() - Date.now())).toBeLessThan(1000);
  });

  it("freeze() stops time at the current instant", () => {
    const { base, clock } = setup();
    base.t += 10;
    clock.freeze();
    expect(clock.frozen).toBe(true);
    expect(clock.now()).toBe(1_000_010);
    base.t += 60_000;
    expect(clock.now()).toBe(1_000_010);
  });

  it("freeze(at) stops time at the given instant", () => {
    const { base, clock } = setup();
    clock.freeze(42);
    expect(clock.now()).toBe(42);
    base.t += 5;
    expect(clock.now()).toBe(42);
  });

  it("advance() while frozen moves the frozen instant", () => {
    const { base, clock } = setup();
    clock.freeze();
    clock.advance(3_600_000);
    expect(clock.now()).toBe(4_600_000);
    base.t += 999;
    expect(clock.now()).toBe(4_600_000);
    clock.advance(-600_000);
    expect(clock.now()).toBe(4_000_000);
    expect(clock.frozen).toBe(true);
  });

  it("advance() while running shifts the clock and keeps it running", () => {
    const { base, clock } = setup();
    clock.advance(86_400_000);
    expect(clock.frozen).toBe(false);
    expect(clock.now()).toBe(87_400_000);
    base.t += 500;
    expect(clock.now()).toBe(87_400_500);
    clock.advance(100);
    expect(clock.now()).toBe(87_400_600);
  });

  it("unfreeze() continues from the frozen instant, without jumping to the base time", () => {
    const { base, clock } = setup();
    clock.advance(1000); // running offset +1000
    clock.freeze(); // at 1_001_000
    base.t += 30_000; // real time passes while frozen
    clock.advance(5000); // frozen at 1_006_000
    expect(clock.now()).toBe(1_006_000);
    clock.unfreeze();
    expect(clock.frozen).toBe(false);
    expect(clock.now()).toBe(1_006_000);
    base.t += 250;
    expect(clock.now()).toBe(1_006_250);
  });

  it("unfreeze() on a running clock changes nothing", () => {
    const { base, clock } = setup();
    clock.advance(7);
    clock.unfreeze();
    expect(clock.now()).toBe(1_000_007);
    base.t += 3;
    expect(clock.now()).toBe(1_000_010);
  });

  it("freeze() on a frozen clock re-freezes at the frozen instant", () => {
    const { base, clock } = setup();
    clock.freeze();
    base.t += 100;
    clock.freeze();
    expect(clock.now()).toBe(1_000_000);
  });
  it("set() jumps to a time and keeps running, or stays frozen there", () => {
    const { base, clock } = setup();
    clock.set(5_000_000);
    expect(clock.now()).toBe(5_000_000);
    base.t += 10;
    expect(clock.now()).toBe(5_000_010);
    clock.freeze();
    clock.set(7);
    expect(clock.frozen).toBe(true);
    base.t += 10;
    expect(clock.now()).toBe(7);
  });

  it("reset() goes back to the base clock's time, running", () => {
    const { base, clock } = setup();
    clock.advance(1000);
    clock.freeze();
    clock.reset();
    expect(clock.frozen).toBe(false);
    expect(clock.now()).toBe(1_000_000);
    base.t += 1;
    expect(clock.now()).toBe(1_000_001);
  });
});
