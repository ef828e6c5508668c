// Product, version and action resolution: which product's handler this request is for.
import { apiError } from "../protocol/errors.js";
import { missingParameterText } from "../protocol/messages.js";
import { own } from "../protocol/own.js";
import type { Product } from "./product.js";
import type { CommonParams } from "./shape.js";

export interface Route {
  product: Product;
  action: string;
  /** "" for region-free actions called without one. */
  region: string;
}

function missing(name: string) {
  return apiError("MissingParameter", missingParameterText(name));
}

/**
 * Picks the product by, in order: the first label of a product domain (cvm.tencentcloudapi.com), the
 * service of the TC3 credential scope, then the first product whose model has the action at that version.
 * The Node SDK's credential scope is the first label of its endpoint ("127"), so it is only a hint.
 */
export function resolveRoute(
  products: readonly Product[],
  common: CommonParams,
  hints: { host: string; credentialService: string | undefined },
): Route {
  const { action, version } = common;
  if (!action) throw missing("Action");
  if (!version) throw missing("Version");
  const atVersion = products.filter((p) => p.version === version);
  if (atVersion.length === 0) {
    const served = products.map((p) => `${p.service} ${p.version}`).join(", ");
    throw apiError("NoSuchVersion", {
      en: `The API version \`${version.slice(0, 32)}\` does not exist. Served: ${served}.`,
      zh: `接口版本\`${version.slice(0, 32)}\`不存在。支持的版本：${served}。`,
    });
  }
  const hostLabel = hints.host.replace(/^https?:\/\//, "").split(".")[0]?.toLowerCase();
  const named =
    atVersion.find((p) => p.service === hostLabel) ?? atVersion.find((p) => p.service === hints.credentialService?.toLowerCase());
  const product = named && own(named.model.actions, action) ? named : atVersion.find((p) => own(p.model.actions, action));
  if (!product) {
    throw apiError("InvalidAction", {
      en: `The action \`${action.slice(0, 64)}\` does not exist in API version ${version}.`,
      zh: `接口\`${action.slice(0, 64)}\`在 API 版本 ${version} 中不存在，请检查 Action 参数的拼写和大小写。`,
    });
  }
  const region = common.region ?? "";
  if (region === "") {
    if (!product.regionFree.has(action)) throw missing("Region");
  } else if (!product.isRegion(region)) {
    throw apiError("UnsupportedRegion", {
      en: `The region \`${region.slice(0, 64)}\` is not supported by ${product.service} ${action}; CVM DescribeRegions lists the regions tclocal serves.`,
      zh: `${product.service} ${action} 接口不支持地域\`${region.slice(0, 64)}\`，可通过 CVM 的 DescribeRegions 接口查询支持的地域。`,
    });
  }
  return { product, action, region };
}
