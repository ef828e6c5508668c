// The resource clock is state: it is kept in the settings table, so that a restart keeps the time tests
// moved it to, and every node sharing a database runs on the same time.
import { isClockState, type ControllableClock } from "./clock.js";
import { SettingsRepository } from "./store/settings.js";
import type { Sql } from "./store/sql.js";
import type { Store } from "./store/store.js";

export const CLOCK_SETTING = "clock";

/**
 * Sets the clock to the stored one; answers what was stored. With none stored (never moved, or reset) the
 * clock follows real time, unless `keepUnstored` (at start-up: the clock a caller passed in stays as it is).
 */
export async function loadClock(sql: Sql, clock: ControllableClock, keepUnstored = false): Promise<unknown> {
  const saved = await new SettingsRepository(sql).get(CLOCK_SETTING);
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
      await new SettingsRepository(sql).put(CLOCK_SETTING, clock.snapshot());
      return result;
    },
    { mode: "write", lockKey: CLOCK_SETTING },
  );
}
