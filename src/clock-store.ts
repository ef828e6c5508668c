// The resource clock is state: it is kept in the settings table, so that a restart keeps the time tests
// moved it to, and every node sharing a database runs on the same time.
import { isClockState, type ControllableClock } from "./clock.js";
import { SettingsRepository } from "./store/settings.js";
import type { Sql } from "./store/sql.js";
import type { Store } from "./store/store.js";

export const CLOCK_SETTING = "clock";

/**
 * The stored clock each in-process clock last took, as stored (null: none was stored). A clock changes only
 * when the stored one does, so that a change made to it in-process (an embedding test moving
 * `server.clock` directly) stands until some node stores another.
 */
const lastLoaded = new WeakMap<ControllableClock, string | null>();

/**
 * Sets the clock to the stored one when that changed since this clock last took it; answers what was
 * stored. With none stored (never moved, or reset) the clock follows real time, unless `keepUnstored` (at
 * start-up: the clock a caller passed in stays as it is).
 */
export async function loadClock(sql: Sql, clock: ControllableClock, keepUnstored = false): Promise<unknown> {
  const text = (await new SettingsRepository(sql).text(CLOCK_SETTING)) ?? null;
  const saved: unknown = text === null ? undefined : JSON.parse(text);
  if (lastLoaded.has(clock) && lastLoaded.get(clock) === text) return saved;
  lastLoaded.set(clock, text);
  if (isClockState(saved)) clock.restore(saved);
  else if (!keepUnstored) clock.reset();
  return saved;
}

/**
 * Changes the clock from its stored state and stores the result, under the clock's lock, so that two nodes
 * moving it at once both count.
 */
export function changeStoredClock<T>(store: Store, clock: ControllableClock, change: () => T): Promise<T> {
  return store.transaction(
    async (sql) => {
      await loadClock(sql, clock);
      const result = change();
      const text = JSON.stringify(clock.snapshot());
      await new SettingsRepository(sql).put(CLOCK_SETTING, clock.snapshot());
      lastLoaded.set(clock, text);
      return result;
    },
    { mode: "write", lockKey: CLOCK_SETTING },
  );
}
