// The DescribeInstances filters that select few instances, each answered through a structure that the
// migration cvm/4 (schema.ts) derives from cvm_instances with triggers: an FTS5 trigram index of the names,
// one row per tag, security group and IPv6 address, and expression indexes on two doc fields. A condition
// here finds its instances through those structures instead of reading every instance's doc: seq is
// cvm_instances' INTEGER PRIMARY KEY, global across accounts, so `seq IN (…)` beside the account and region
// conditions stays within the account, and the index cvm_instances_account_seq makes it one lookup per seq.
// (uuid and the IPv4 addresses keep their plain column conditions in describe.ts, served by cvm/4's indexes.) Each one selects exactly the instances the condition it
// replaced (json_each over doc, instr() over every name) did; test/e2e/instance-filters.test.ts checks the
// plans and the answers.
//
// PostgreSQL has its own SQL for the two conditions that differ: the name search (a pg_trgm index on the
// ASCII-folded name, cvm/4's PostgreSQL script) and the doc fields (expression indexes over cvm_doc_jsonb(doc)).
import type { Dialect } from "../../../store/sql.js";
import type { Condition } from "./repository.js";

function placeholders(values: readonly unknown[]): string {
  return values.map(() => "?").join(", ");
}

/** The instances with a row in `table` whose `column` is one of the values. */
function derivedIn(table: string, column: string, values: readonly string[]): Condition {
  return { sql: `seq IN (SELECT seq FROM ${table} WHERE ${column} IN (${placeholders(values)}))`, params: [...values] };
}

/** Tag rows in listing order (migration cvm/5): an instance has at most one tag of a key, so one row per match. */
const TAG_ROWS = "cvm_instance_tags";

export function tagKeyCondition(values: readonly string[]): Condition {
  const condition = derivedIn(TAG_ROWS, "key", values);
  return values.length === 1 ? { ...condition, ordered: { table: TAG_ROWS, where: "key = ?", params: [values[0]] } } : condition;
}

export function tagValueCondition(values: readonly string[]): Condition {
  return derivedIn("cvm_instance_tags", "value", values);
}

/** tag:<key>: a tag with that key and one of the values. */
export function tagPairCondition(key: string, values: readonly string[]): Condition {
  const condition = { sql: `seq IN (SELECT seq FROM ${TAG_ROWS} WHERE key = ? AND value IN (${placeholders(values)}))`, params: [key, ...values] };
  return values.length === 1 ? { ...condition, ordered: { table: TAG_ROWS, where: "key = ? AND value = ?", params: [key, values[0]] } } : condition;
}

export function securityGroupCondition(values: readonly string[]): Condition {
  return derivedIn("cvm_instance_security_groups", "sg_id", values);
}

export function ipv6AddressCondition(values: readonly string[]): Condition {
  return derivedIn("cvm_instance_ipv6", "address", values);
}

/**
 * A doc field compared with `IN`. The SQL must be the very expression of the index the migration made on
 * (account_uin, region, json_extract(doc, path)), or SQLite does not use that index.
 */
function docFieldIn(path: "$.Placement.HostId" | "$.DedicatedClusterId", postgresExpression: string) {
  return (values: readonly string[], dialect: Dialect): Condition => ({
    sql: `${dialect === "sqlite" ? `json_extract(doc, '${path}')` : postgresExpression} IN (${placeholders(values)})`,
    params: [...values],
  });
}

/** The PostgreSQL expressions of the indexes on doc fields (schema.ts, cvm/4), which a query must repeat exactly. */
export const POSTGRES_HOST_ID = "(cvm_doc_jsonb(doc) #>> '{Placement,HostId}')";
export const POSTGRES_DEDICATED_CLUSTER_ID = "(cvm_doc_jsonb(doc) ->> 'DedicatedClusterId')";

export const hostIdCondition = docFieldIn("$.Placement.HostId", POSTGRES_HOST_ID);
export const dedicatedClusterCondition = docFieldIn("$.DedicatedClusterId", POSTGRES_DEDICATED_CLUSTER_ID);

/** The name as the PostgreSQL trigram index holds it: ASCII letters folded (the C collation folds no other), as SQLite's lower() does. */
export const POSTGRES_FOLDED_NAME = `lower(instance_name COLLATE "C")`;

/** A LIKE pattern that matches text holding `value`, with `\` as the escape character. */
function containsPattern(value: string): string {
  return `%${value.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * instance-name on PostgreSQL: LIKE over the folded name, which the pg_trgm index answers (for a value of 3
 * characters or more; a shorter one scans the account's instances). PostgreSQL text holds no NUL, so no
 * stored name holds a value with one: such a value matches nothing.
 */
function postgresNameCondition(values: readonly string[]): Condition {
  const searched = values.filter((v) => !v.includes("\u0000"));
  if (searched.length === 0) return { sql: "1 = 0", params: [] };
  return {
    sql: searched.map(() => `${POSTGRES_FOLDED_NAME} LIKE ? ESCAPE '\\'`).join(" OR "),
    params: searched.map((v) => containsPattern(v.replace(/[A-Z]/g, (c) => c.toLowerCase()))),
  };
}

/**
 * How many characters of a value the name index is searched for at most. Any part of a value finds every
 * name that holds the whole value (the instr() test then keeps exactly those), so the answer never depends
 * on this bound, only the cost of a 64 KiB value does. 128 is the longest name RunInstances accepts: a
 * value a name could hold is searched whole.
 */
const MAX_SEARCHED_CHARACTERS = 128;
/** The trigram tokenizer indexes runs of 3 characters: a shorter value has no trigram to look up. */
const TRIGRAM = 3;

/**
 * The part of a value the name index is searched for, or undefined when the value has no run of 3
 * characters to search. FTS5 reads its query as a C string, so a NUL would end it inside the quotes (a
 * syntax error): the longest run without NUL is taken, cut to MAX_SEARCHED_CHARACTERS characters (code
 * points, so no surrogate pair is split).
 */
function searchedPart(value: string): string | undefined {
  let best: string[] = [];
  for (const run of value.split("\u0000")) {
    const chars = Array.from(run);
    if (chars.length > best.length) best = chars;
    if (best.length >= MAX_SEARCHED_CHARACTERS) break;
  }
  return best.length >= TRIGRAM ? best.slice(0, MAX_SEARCHED_CHARACTERS).join("") : undefined;
}

/** An FTS5 string: inside double quotes every character is literal (`*`, `:`, `-`, `^`, `(`, …), and `"` is written `""`. */
function fts5String(text: string): string {
  return `"${text.replace(/"/g, '""')}"`;
}

/**
 * instance-name: the names holding one of the values, ASCII case-insensitively (SQLite's lower() folds ASCII
 * only; instr(), not LIKE, because SQLite refuses LIKE patterns over 50,000 bytes, well within the 64 KiB a
 * parameter string may have, and instr() needs no escaping). The trigram index finds the names holding a
 * value's characters in a row (one phrase per value, ORed in one MATCH). Its tokenizer folds case across
 * Unicode (É finds é), wider than lower(), so the instr() test of before then keeps exactly the names it
 * accepts, on the few rows found. A value of 1 or 2 characters has no trigram to look up: when one is given,
 * the condition is that instr() test alone, over every instance of the account — the one case that scans.
 */
export function instanceNameCondition(values: readonly string[], dialect: Dialect): Condition {
  if (dialect === "postgres") return postgresNameCondition(values);
  const substring = values.map(() => "instr(lower(instance_name), lower(?)) > 0").join(" OR ");
  const phrases: string[] = [];
  for (const value of values) {
    const part = searchedPart(value);
    if (part === undefined) return { sql: substring, params: [...values] };
    phrases.push(fts5String(part));
  }
  return {
    sql: `seq IN (SELECT rowid FROM cvm_instance_names WHERE cvm_instance_names MATCH ?) AND (${substring})`,
    params: [phrases.join(" OR "), ...values],
  };
}
