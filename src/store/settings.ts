// Settings that survive a restart and that every node sharing the database sees (the resource clock).
import type { Sql } from "./sql.js";

export class SettingsRepository {
  constructor(private readonly sql: Sql) {}

  /** A setting's JSON text as stored, or undefined. */
  text(key: string): Promise<string | undefined> {
    return this.sql.value<string>("SELECT value FROM settings WHERE key = ?", [key]);
  }

  async put(key: string, value: unknown): Promise<void> {
    await this.sql.run("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", [key, JSON.stringify(value)]);
  }
}
