// The STS product (Security Token Service, API version 2018-08-13): GetFederationToken and
// GetCallerIdentity. The other actions of the model answer UnsupportedOperation through the gateway.
// STS has no tables of its own: temporary credentials are keys of the account (core migrations).
import { typedHandler, type Product } from "../../gateway/product.js";
import { registerErrorCodes } from "../../protocol/errors.js";
import type { ApiModel } from "../../protocol/model.js";
import { getCallerIdentity, getFederationToken } from "./actions.js";
import { STS_REGIONS, stsRateLimit } from "./regions.js";

import errorCodes from "./errors.json" with { type: "json" };
import modelFile from "./model.gen.json" with { type: "json" };

const model = modelFile as ApiModel;
registerErrorCodes(errorCodes);

export function createSts(): Product {
  return {
    service: "sts",
    version: "2018-08-13",
    model,
    handlers: {
      GetFederationToken: typedHandler(getFederationToken),
      GetCallerIdentity: typedHandler(getCallerIdentity),
    },
    isRegion: (region) => STS_REGIONS.has(region),
    // Region is a required common parameter of every STS action.
    regionFree: new Set(),
    rateLimit: stsRateLimit,
    // GetFederationToken stores a credential.
    readsOnly: (action) => action === "GetCallerIdentity",
    migrations: [],
  };
}
