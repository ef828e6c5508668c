// The Filters parameter of every CVM Describe* API, as the API introduction documents it: at most 10
// filters of at most 5 values each (unless the action says otherwise); several filters are ANDed, the
// values inside one filter are ORed; `tag-key`, `tag-value` and `tag:<key>` match resource tags.
//
// An action declares the names it accepts and checks a request with checkFilters; it then narrows its
// items with applyFilters, giving one accessor per name:
//
//   checkFilters(req.Filters, { names: ["zone", "image-name", "tag-key", "tag-value"], allowTagKey: true });
//   applyFilters(items, req.Filters, { zone: (i) => i.zone, "image-name": fuzzy((i) => i.name) }, (i) => i.tags);
import type { Filter, Tag } from "tencentcloud-sdk-nodejs-cvm/tencentcloud/services/cvm/v20170312/cvm_models.js";
import { apiError } from "../../protocol/errors.js";
import { atMostText } from "../../protocol/messages.js";

export type { Filter };

export interface FilterSpec {
  /** The filter names the action accepts, e.g. "zone", "tag-key". */
  names: readonly string[];
  /** Also accept `tag:<key>` (match a tag with that key and one of the values). */
  allowTagKey?: boolean;
  /** How many filters a request may carry (default 10). */
  maxFilters?: number;
  /** How many values one filter may carry (default 5). */
  maxValues?: number;
}

export const DEFAULT_MAX_FILTERS = 10;
export const DEFAULT_MAX_VALUES = 5;

const TAG_KEY_PREFIX = "tag:";

/**
 * Checks the shape of a request's filters against what the action accepts. Raises `InvalidFilter` for a
 * name the action does not know, `InvalidFilterValue.LimitExceeded` for a filter with too many values and
 * `InvalidParameterValue.LimitExceeded` for too many filters.
 */
export function checkFilters(filters: readonly Filter[] | undefined, spec: FilterSpec): void {
  if (!filters) return;
  const maxFilters = spec.maxFilters ?? DEFAULT_MAX_FILTERS;
  const maxValues = spec.maxValues ?? DEFAULT_MAX_VALUES;
  if (filters.length > maxFilters) {
    throw apiError("InvalidParameterValue.LimitExceeded", atMostText("Filters", maxFilters, filters.length, { en: "filters", zh: "过滤条件", unit: "个" }));
  }
  filters.forEach((filter, i) => {
    if (!isAccepted(filter.Name, spec)) {
      const valid = spec.allowTagKey ? [...spec.names, `${TAG_KEY_PREFIX}<key>`] : spec.names;
      throw apiError("InvalidFilter", {
        en: `The filter \`${filter.Name.slice(0, 64)}\` in \`Filters.${i}.Name\` is not supported. Valid filter names: ${valid.join(", ")}.`,
        zh: `参数\`Filters.${i}.Name\`中的过滤条件\`${filter.Name.slice(0, 64)}\`不受支持。支持的过滤条件：${valid.join("、")}。`,
      });
    }
    if (filter.Values.length > maxValues) {
      throw apiError("InvalidFilterValue.LimitExceeded", atMostText(`Filters.${i}.Values`, maxValues, filter.Values.length, { en: "values", zh: "取值", unit: "个" }));
    }
  });
}

function isAccepted(name: string, spec: FilterSpec): boolean {
  if (spec.names.includes(name)) return true;
  return spec.allowTagKey === true && name.startsWith(TAG_KEY_PREFIX) && name.length > TAG_KEY_PREFIX.length;
}

/** What an item shows for one filter: one value, several (any may match), or nothing (never matches). */
export type FieldReader<T> = (item: T) => string | readonly string[] | undefined;

/** A reader whose values match a filter value that is any part of them, ignoring case. */
export interface FuzzyReader<T> {
  fuzzy: FieldReader<T>;
}

export type FilterAccessor<T> = FieldReader<T> | FuzzyReader<T>;

/** Marks a filter as fuzzy: "cent" matches "CentOS 7.6 64位". Used for name searches (image-name, platform). */
export function fuzzy<T>(read: FieldReader<T>): FuzzyReader<T> {
  return { fuzzy: read };
}

/**
 * The items that match every filter (filters ANDed, values ORed). `tag-key`, `tag-value` and `tag:<key>`
 * are answered from `tagsOf` unless an accessor is given for them. A filter with no values constrains
 * nothing. Call checkFilters first: a name with neither an accessor nor a tag meaning is a programming
 * error here, not an API answer.
 */
export function applyFilters<T>(
  items: readonly T[],
  filters: readonly Filter[] | undefined,
  accessors: Readonly<Record<string, FilterAccessor<T>>>,
  tagsOf?: (item: T) => readonly Tag[],
): T[] {
  const predicates = (filters ?? []).filter((f) => f.Values.length > 0).map((f) => predicateFor(f, accessors, tagsOf));
  return items.filter((item) => predicates.every((matches) => matches(item)));
}

function predicateFor<T>(
  filter: Filter,
  accessors: Readonly<Record<string, FilterAccessor<T>>>,
  tagsOf: ((item: T) => readonly Tag[]) | undefined,
): (item: T) => boolean {
  const accessor = accessors[filter.Name];
  if (accessor) return fieldPredicate(accessor, filter.Values);
  if (tagsOf) {
    const tagMatch = tagPredicate(filter.Name, filter.Values);
    if (tagMatch) return (item) => tagsOf(item).some(tagMatch);
  }
  throw new Error(`no accessor for filter ${filter.Name}`);
}

function fieldPredicate<T>(accessor: FilterAccessor<T>, values: readonly string[]): (item: T) => boolean {
  if (typeof accessor === "function") {
    const wanted = new Set(values);
    return (item) => readAll(accessor, item).some((v) => wanted.has(v));
  }
  const needles = values.map((v) => v.toLowerCase());
  return (item) => readAll(accessor.fuzzy, item).some((v) => needles.some((n) => v.toLowerCase().includes(n)));
}

function readAll<T>(read: FieldReader<T>, item: T): readonly string[] {
  const value = read(item);
  if (value === undefined) return [];
  return typeof value === "string" ? [value] : value;
}

function tagPredicate(name: string, values: readonly string[]): ((tag: Tag) => boolean) | undefined {
  const wanted = new Set(values);
  if (name === "tag-key") return (tag) => wanted.has(tag.Key);
  if (name === "tag-value") return (tag) => wanted.has(tag.Value);
  if (name.startsWith(TAG_KEY_PREFIX)) {
    const key = name.slice(TAG_KEY_PREFIX.length);
    return (tag) => tag.Key === key && wanted.has(tag.Value);
  }
  return undefined;
}
