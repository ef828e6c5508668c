// The shape of an API model file (products/<name>/model.gen.json), generated from an official SDK package.
// The protocol core reads it to coerce flattened parameters and to validate requests; it knows no product.

export type ScalarType = "string" | "number" | "boolean" | "any";

export interface FieldModel {
  /** A scalar type, or the name of a structure in `types`. */
  type: string;
  /** Array nesting depth; absent for a plain value. */
  array?: number;
  required?: true;
}

export type StructModel = Record<string, FieldModel>;

export interface ActionModel {
  request: string;
  response: string;
}

export interface ApiModel {
  service: string;
  version: string;
  source: string;
  actions: Record<string, ActionModel>;
  types: Record<string, StructModel>;
}

import { own } from "./own.js";

const SCALARS: ReadonlySet<string> = new Set<ScalarType>(["string", "number", "boolean", "any"]);

export function isScalar(type: string): type is ScalarType {
  return SCALARS.has(type);
}

export function actionHasField(model: ApiModel, action: string, field: string): boolean {
  const act = own(model.actions, action);
  const request = act && own(model.types, act.request);
  return request !== undefined && own(request, field) !== undefined;
}
