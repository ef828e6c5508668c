// The CVM product (API version 2017-03-12): its model, error codes, regions and handlers.
import { typedHandler, type Product } from "../../gateway/product.js";
import { registerErrorCodes } from "../../protocol/errors.js";
import type { ApiModel } from "../../protocol/model.js";
import { CATALOG } from "./catalog/regions.js";
import { describeInstancesStatus } from "./instances/actions.js";
import { cvmRateLimit } from "./rate-limits.js";
import { describeRegions, describeZones } from "./regions/actions.js";

import errorCodes from "./errors.json" with { type: "json" };
import modelFile from "./model.gen.json" with { type: "json" };

const model = modelFile as ApiModel;
registerErrorCodes(errorCodes);

export const cvm: Product = {
  service: "cvm",
  version: "2017-03-12",
  model,
  handlers: {
    DescribeRegions: typedHandler(describeRegions),
    DescribeZones: typedHandler(describeZones),
    DescribeInstancesStatus: typedHandler(describeInstancesStatus),
  },
  isRegion: (region) => CATALOG.has(region),
  regionFree: new Set(["DescribeRegions"]),
  rateLimit: cvmRateLimit,
};
