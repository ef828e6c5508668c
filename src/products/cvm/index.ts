// The CVM product (API version 2017-03-12): its model, error codes, regions, tables and handlers.
import { readsOnlyByName, typedHandler, type Product } from "../../gateway/product.js";
import { registerErrorCodes } from "../../protocol/errors.js";
import type { ApiModel } from "../../protocol/model.js";
import { describeImages, describeInstanceFamilyConfigs, describeInstanceTypeConfigs, describeZoneInstanceConfigInfos } from "./catalog/actions.js";
import { CATALOG } from "./catalog/regions.js";
import { modifyInstancesChargeType, modifyInstancesRenewFlag, renewInstances } from "./instances/billing.js";
import { describeInstances, describeInstancesStatus } from "./instances/describe.js";
import { rebootInstances, startInstances, stopInstances, terminateInstances } from "./instances/lifecycle.js";
import { modifyInstancesAttribute, modifyInstancesProject, resizeInstanceDisks } from "./instances/modify.js";
import { associateSecurityGroups, disassociateSecurityGroups, modifyInstancesVpcAttribute } from "./instances/network.js";
import { describeAccountQuota, describeInstancesAttributes, describeInstancesOperationLimit } from "./instances/queries.js";
import { resetInstance, resetInstancesPassword, resetInstancesType } from "./instances/reset.js";
import { runInstances } from "./instances/run.js";
import { cvmRateLimit } from "./rate-limits.js";
import { describeRegions, describeZones } from "./regions/actions.js";
import { CVM_MIGRATIONS } from "./schema.js";
import { DEFAULT_CVM_SETTINGS, type CvmSettings } from "./settings.js";

import errorCodes from "./errors.json" with { type: "json" };
import modelFile from "./model.gen.json" with { type: "json" };

const model = modelFile as ApiModel;
registerErrorCodes(errorCodes);

export function createCvm(settings: CvmSettings): Product {
  return {
    service: "cvm",
    version: "2017-03-12",
    model,
    handlers: {
      DescribeRegions: typedHandler(describeRegions),
      DescribeZones: typedHandler(describeZones),
      DescribeZoneInstanceConfigInfos: typedHandler(describeZoneInstanceConfigInfos),
      DescribeInstanceTypeConfigs: typedHandler(describeInstanceTypeConfigs),
      DescribeInstanceFamilyConfigs: typedHandler(describeInstanceFamilyConfigs),
      DescribeImages: typedHandler(describeImages),
      DescribeInstances: typedHandler(describeInstances),
      DescribeInstancesStatus: typedHandler(describeInstancesStatus),
      RunInstances: typedHandler(runInstances(settings)),
      StartInstances: typedHandler(startInstances(settings)),
      StopInstances: typedHandler(stopInstances(settings)),
      RebootInstances: typedHandler(rebootInstances(settings)),
      TerminateInstances: typedHandler(terminateInstances(settings)),
      ResetInstance: typedHandler(resetInstance(settings)),
      ResetInstancesPassword: typedHandler(resetInstancesPassword(settings)),
      ResetInstancesType: typedHandler(resetInstancesType(settings)),
      ResizeInstanceDisks: typedHandler(resizeInstanceDisks(settings)),
      ModifyInstancesAttribute: typedHandler(modifyInstancesAttribute(settings)),
      ModifyInstancesProject: typedHandler(modifyInstancesProject(settings)),
      ModifyInstancesChargeType: typedHandler(modifyInstancesChargeType(settings)),
      ModifyInstancesRenewFlag: typedHandler(modifyInstancesRenewFlag(settings)),
      RenewInstances: typedHandler(renewInstances(settings)),
      ModifyInstancesVpcAttribute: typedHandler(modifyInstancesVpcAttribute(settings)),
      AssociateSecurityGroups: typedHandler(associateSecurityGroups(settings)),
      DisassociateSecurityGroups: typedHandler(disassociateSecurityGroups(settings)),
      DescribeInstancesAttributes: typedHandler(describeInstancesAttributes),
      DescribeInstancesOperationLimit: typedHandler(describeInstancesOperationLimit),
      DescribeAccountQuota: typedHandler(describeAccountQuota(settings)),
    },
    isRegion: (region) => CATALOG.has(region),
    regionFree: new Set(["DescribeRegions"]),
    rateLimit: cvmRateLimit,
    readsOnly: readsOnlyByName,
    migrations: CVM_MIGRATIONS,
  };
}

/** CVM with the default settings. */
export const cvm: Product = createCvm(DEFAULT_CVM_SETTINGS);
