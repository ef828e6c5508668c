// Names that come off the wire (actions, headers, parameters) are looked up only as own properties: on a
// plain object, `constructor` or `toString` would find Object.prototype's functions instead of nothing.

/** record[key] when key is the record's own property, else undefined. */
export function own<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}
