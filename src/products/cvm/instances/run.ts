// RunInstances: every parameter checked with the documented defaults and codes, then the instances are
// created in PENDING and reach RUNNING when the launch time of the timing profile has passed.
import { randomBytes, randomUUID } from "node:crypto";
import type * as M from "tencentcloud-sdk-nodejs-cvm/tencentcloud/services/cvm/v20170312/cvm_models.js";
import type { ActionContext, TypedHandler } from "../../../gateway/product.js";
import { apiError } from "../../../protocol/errors.js";
import { findPublicImage, type ImageRecord } from "../catalog/images.js";
import { findInstanceType, INSTANCE_TYPE_RE, offersInZone, zoneOffers, type InstanceTypeSpec } from "../catalog/instance-types.js";
import { CATALOG, findZone } from "../catalog/regions.js";
import { newResourceId } from "../ids.js";
import { NetworkRepository, type Subnet } from "../network/repository.js";
import type { CvmSettings } from "../settings.js";
import { checkTags, type TagPair } from "../tags.js";
import { TIMING_PROFILES } from "../timing.js";
import { checkInstanceName, expandName, hostNameProblem } from "./naming.js";
import { openInstances } from "./open.js";
import { checkPassword } from "./passwords.js";
import type { InstanceDoc, InstanceRecord, InstanceRepository } from "./repository.js";

const CHARGE_TYPES = ["PREPAID", "POSTPAID_BY_HOUR", "CDHPAID", "SPOTPAID", "CDCPAID"] as const;
const PREPAID_PERIODS = new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 24, 36, 48, 60]);
const RENEW_FLAGS = ["NOTIFY_AND_AUTO_RENEW", "NOTIFY_AND_MANUAL_RENEW", "DISABLE_NOTIFY_AND_MANUAL_RENEW"];
export const DISK_TYPES = ["LOCAL_BASIC", "LOCAL_SSD", "CLOUD_BASIC", "CLOUD_SSD", "CLOUD_PREMIUM", "CLOUD_BSSD", "CLOUD_HSSD", "CLOUD_TSSD"];
const INTERNET_CHARGE_TYPES = ["BANDWIDTH_PREPAID", "TRAFFIC_POSTPAID_BY_HOUR", "BANDWIDTH_POSTPAID_BY_HOUR", "BANDWIDTH_PACKAGE"];
const TAG_RESOURCE_TYPES = ["instance", "host", "image", "keypair", "ps", "hpc"];
export const MAX_INSTANCE_COUNT = 500;
const MAX_DATA_DISKS = 21;
export const MAX_SECURITY_GROUPS = 5;
const MAX_USER_DATA_BYTES = 16 * 1024;
export const SYSTEM_DISK_RANGE = [20, 1024] as const;
export const DATA_DISK_RANGE = [10, 32000] as const;
const DEFAULT_INSTANCE_NAME = "未命名";
const QUOTA_CODES: Record<string, string> = { PREPAID: "LimitExceeded.PrepayQuota", SPOTPAID: "LimitExceeded.UserSpotQuota" };

function invalid(code: string, en: string): never {
  throw apiError(code, en);
}

export function oneOf<T extends string>(value: string, allowed: readonly T[], parameter: string): T {
  if (!(allowed as readonly string[]).includes(value)) {
    invalid("InvalidParameterValue", `The parameter \`${parameter}\` must be one of ${allowed.join(", ")}, but \`${value.slice(0, 64)}\` was given.`);
  }
  return value as T;
}

function inRange(value: number, [min, max]: readonly [number, number], parameter: string, code = "InvalidParameterValue.Range"): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    invalid(code, `The parameter \`${parameter}\` must be an integer from ${min} to ${max}, but ${value} was given.`);
  }
}

function resolveZone(ctx: ActionContext, placement: M.Placement | undefined): string {
  if (!placement) invalid("MissingParameter", "The request is missing a required parameter `Placement`.");
  const zone = findZone(ctx.region, placement.Zone);
  if (!zone) {
    const otherRegion = [...CATALOG.values()].find((r) => r.zones.some((z) => z.zone === placement.Zone));
    if (otherRegion) invalid("InvalidZone.MismatchRegion", `The zone \`${placement.Zone}\` is in region ${otherRegion.region}, not in ${ctx.region}.`);
    invalid("InvalidParameterValue.ZoneNotSupported", `The zone \`${placement.Zone.slice(0, 64)}\` does not exist in region ${ctx.region}.`);
  }
  if (!zone.available) invalid("ResourceInsufficient.AvailabilityZoneSoldOut", `The zone ${zone.zone} is sold out.`);
  if (placement.ProjectId !== undefined) checkProjectId(placement.ProjectId, "Placement.ProjectId");
  placement.HostIds?.forEach((id, i) => {
    if (!/^host-[a-z0-9]{8}$/.test(id)) invalid("InvalidHostId.Malformed", `The dedicated host id \`${id.slice(0, 64)}\` in \`Placement.HostIds.${i}\` is malformed.`);
    invalid("InvalidHostId.NotFound", `The dedicated host \`${id}\` in \`Placement.HostIds.${i}\` does not exist.`);
  });
  return zone.zone;
}

/** Projects are not emulated: every non-negative integer names one (0 is the default project). */
export function checkProjectId(projectId: number, parameter: string): void {
  if (!Number.isInteger(projectId) || projectId < 0) invalid("InvalidProjectId.NotFound", `The project \`${projectId}\` in \`${parameter}\` does not exist.`);
}

export function resolveImage(imageId: string | undefined): ImageRecord {
  if (imageId === undefined) invalid("MissingParameter", "The request is missing a required parameter `ImageId`.");
  if (!/^img-[a-z0-9]{8}$/.test(imageId)) {
    invalid("InvalidImageId.Malformed", `The image id \`${imageId.slice(0, 64)}\` in \`ImageId\` is malformed: it must be img- followed by 8 lowercase letters or digits.`);
  }
  const image = findPublicImage(imageId);
  if (!image) invalid("InvalidImageId.NotFound", `The image \`${imageId}\` does not exist.`);
  return image;
}

/** Without InstanceType the service picks a type in stock; tclocal prefers the common S5.MEDIUM4. */
function defaultInstanceType(zone: string, chargeType: string, architecture: string): string | undefined {
  const selling = offersInZone(zone).filter((o) => o.status === "SELL" && o.chargeType === chargeType && o.spec.architecture === architecture);
  return (selling.find((o) => o.spec.instanceType === "S5.MEDIUM4") ?? selling[0])?.spec.instanceType;
}

/**
 * A type the zone sells for this charge type: well formed, existing, carried by the zone (else
 * `notInZoneCode`), offered for the charge type and in stock.
 */
export function findSellingType(name: string, zone: string, chargeType: string, notInZoneCode = "ResourceUnavailable.InstanceType"): InstanceTypeSpec {
  if (!INSTANCE_TYPE_RE.test(name)) {
    invalid("InvalidInstanceType.Malformed", `The instance type \`${name.slice(0, 64)}\` in \`InstanceType\` is malformed: it looks like S5.MEDIUM4.`);
  }
  const spec = findInstanceType(name);
  if (!spec) invalid("InvalidParameterValue.InstanceTypeNotFound", `The instance type \`${name}\` does not exist.`);
  const offers = zoneOffers(zone, name);
  if (offers.length === 0) invalid(notInZoneCode, `The instance type ${name} is not offered in zone ${zone}.`);
  const offer = offers.find((o) => o.chargeType === chargeType);
  if (!offer) {
    if (chargeType === "SPOTPAID") invalid("UnsupportedOperation.NoInstanceTypeSupportSpot", `The instance type ${name} cannot be bought as a spot instance.`);
    invalid("ResourceUnavailable.InstanceType", `The instance type ${name} cannot be bought as ${chargeType} in zone ${zone}.`);
  }
  if (offer.status !== "SELL") invalid("ResourcesSoldOut.SpecifiedInstanceType", `The instance type ${name} is sold out in zone ${zone}.`);
  return spec;
}

function resolveInstanceType(requested: string | undefined, zone: string, chargeType: string, image: ImageRecord): InstanceTypeSpec {
  const name = requested ?? defaultInstanceType(zone, chargeType, image.Architecture ?? "x86_64");
  if (name === undefined) invalid("ResourceInsufficient.AvailabilityZoneSoldOut", `The zone ${zone} sells no instance type at the moment.`);
  const spec = findSellingType(name, zone, chargeType);
  if (spec.architecture !== image.Architecture) {
    invalid(
      "InvalidParameterValue.InvalidImageForGivenInstanceType",
      `The image ${image.ImageId} (${image.Architecture}) cannot run on instance type ${name} (${spec.architecture}).`,
    );
  }
  return spec;
}

function resolveSystemDisk(disk: M.SystemDisk | undefined, image: ImageRecord): M.SystemDisk {
  const type = disk?.DiskType !== undefined ? oneOf(disk.DiskType, DISK_TYPES, "SystemDisk.DiskType") : "CLOUD_PREMIUM";
  const size = disk?.DiskSize ?? Math.max(50, image.ImageSize ?? 0);
  inRange(size, SYSTEM_DISK_RANGE, "SystemDisk.DiskSize");
  if (size < (image.ImageSize ?? 0)) {
    invalid("InvalidParameterValue.Range", `The system disk (${size} GB) is smaller than the image ${image.ImageId} (${image.ImageSize} GB).`);
  }
  return { DiskType: type, DiskId: newResourceId("disk"), DiskSize: size };
}

function resolveDataDisks(disks: M.DataDisk[] | undefined): M.DataDisk[] {
  const list = disks ?? [];
  if (list.length > MAX_DATA_DISKS) {
    invalid("InvalidParameterValue.LimitExceeded", `The parameter \`DataDisks\` has ${list.length} disks; at most ${MAX_DATA_DISKS} are allowed.`);
  }
  return list.map((d, i) => {
    const where = `DataDisks.${i}`;
    const type = d.DiskType !== undefined ? oneOf(d.DiskType, DISK_TYPES, `${where}.DiskType`) : "CLOUD_PREMIUM";
    inRange(d.DiskSize, DATA_DISK_RANGE, `${where}.DiskSize`);
    if (d.DiskSize % 10 !== 0) invalid("InvalidParameterValue.Range", `The parameter \`${where}.DiskSize\` must be a multiple of 10 GB, but ${d.DiskSize} was given.`);
    if (type === "CLOUD_SSD" && d.DiskSize < 100) {
      invalid("InvalidParameterValue.CloudSsdDataDiskSizeTooSmall", `A CLOUD_SSD data disk has at least 100 GB, but \`${where}.DiskSize\` is ${d.DiskSize}.`);
    }
    if (d.SnapshotId !== undefined) {
      if (!/^snap-[a-z0-9]{8}$/.test(d.SnapshotId)) invalid("InvalidParameterValue.SnapshotIdMalformed", `The snapshot id \`${d.SnapshotId.slice(0, 64)}\` in \`${where}.SnapshotId\` is malformed.`);
      invalid("InvalidParameter.SnapshotNotFound", `The snapshot \`${d.SnapshotId}\` in \`${where}.SnapshotId\` does not exist.`);
    }
    const disk: M.DataDisk = {
      DiskSize: d.DiskSize,
      DiskType: type,
      DiskId: newResourceId("disk"),
      DeleteWithInstance: d.DeleteWithInstance ?? true,
      Encrypt: d.Encrypt ?? false,
      ThroughputPerformance: d.ThroughputPerformance ?? 0,
    };
    if (d.DiskName !== undefined) disk.DiskName = d.DiskName;
    return disk;
  });
}

interface NetworkPlan {
  subnet: Subnet;
  requestedIps: string[] | undefined;
  securityGroupIds: string[];
}

function resolveNetwork(ctx: ActionContext, net: NetworkRepository, req: M.RunInstancesRequest, zone: string, count: number): NetworkPlan {
  const now = ctx.clock.now();
  const vpc = req.VirtualPrivateCloud;
  let subnet: Subnet;
  if (!vpc || (vpc.VpcId === "DEFAULT" && vpc.SubnetId === "DEFAULT")) {
    subnet = net.defaultSubnet(zone, now);
  } else {
    subnet = net.resolveSubnet(vpc, now);
    net.ensureSubnetInZone(subnet, zone);
  }
  const ips = vpc?.PrivateIpAddresses;
  if (ips !== undefined) {
    if (ips.length !== count || ips.length > 20) {
      invalid("InvalidParameterValue", `\`VirtualPrivateCloud.PrivateIpAddresses\` must give one address per instance (InstanceCount ${count}, at most 20); ${ips.length} were given.`);
    }
    net.checkRequestedIps(subnet, ips);
  }
  let securityGroupIds = req.SecurityGroupIds ?? [];
  if (securityGroupIds.length > MAX_SECURITY_GROUPS) {
    invalid("InvalidParameterValue.LimitExceeded", `The parameter \`SecurityGroupIds\` has ${securityGroupIds.length} groups; an instance takes at most ${MAX_SECURITY_GROUPS}.`);
  }
  if (securityGroupIds.length === 0) securityGroupIds = [net.defaultSecurityGroupId(now)];
  const missing = net.missingSecurityGroups(securityGroupIds);
  if (missing.length > 0) invalid("InvalidSecurityGroupId.NotFound", `The security group \`${missing[0]!.slice(0, 64)}\` does not exist in region ${ctx.region}.`);
  return { subnet, requestedIps: ips, securityGroupIds: [...new Set(securityGroupIds)] };
}

function resolveInternet(ia: M.InternetAccessible | undefined, chargeType: string): M.InternetAccessible {
  const bandwidth = ia?.InternetMaxBandwidthOut ?? 0;
  inRange(bandwidth, [0, 200], "InternetAccessible.InternetMaxBandwidthOut");
  const defaultCharge = chargeType === "PREPAID" ? "BANDWIDTH_PREPAID" : "TRAFFIC_POSTPAID_BY_HOUR";
  const internetCharge = ia?.InternetChargeType !== undefined ? oneOf(ia.InternetChargeType, INTERNET_CHARGE_TYPES, "InternetAccessible.InternetChargeType") : defaultCharge;
  if (ia?.PublicIpAssigned === true && bandwidth === 0) {
    invalid("InvalidParameterCombination", "`InternetAccessible.PublicIpAssigned` cannot be true when `InternetAccessible.InternetMaxBandwidthOut` is 0.");
  }
  return {
    InternetChargeType: internetCharge,
    InternetMaxBandwidthOut: bandwidth,
    PublicIpAssigned: bandwidth > 0 && ia?.PublicIpAssigned !== false,
  };
}

/** The key pairs of the login settings, after checking them (and the password) against the image's OS. */
export function resolveLogin(login: M.LoginSettings | undefined, image: ImageRecord, passwordCode = "InvalidPassword"): string[] {
  const windows = image.osType === "windows";
  if (!login) return [];
  const given = [login.Password !== undefined, (login.KeyIds?.length ?? 0) > 0, login.KeepImageLogin === "true"].filter(Boolean).length;
  if (login.Password !== undefined && (login.KeyIds?.length ?? 0) > 0) {
    invalid("InvalidParameterCombination", "`LoginSettings.Password` and `LoginSettings.KeyIds` cannot be given together.");
  }
  if (given > 1) invalid("InvalidParameter.ParameterConflict", "`LoginSettings.KeepImageLogin` cannot be combined with a password or key pairs.");
  if (login.KeepImageLogin !== undefined && !["true", "false"].includes(login.KeepImageLogin)) {
    invalid("InvalidParameterValue", "`LoginSettings.KeepImageLogin` must be \"true\" or \"false\".");
  }
  if (login.KeepImageLogin === "true" && image.ImageType === "PUBLIC_IMAGE") {
    invalid("InvalidParameterValue", `\`LoginSettings.KeepImageLogin\` applies only to custom, shared or imported images; ${image.ImageId} is a public image.`);
  }
  if (login.Password !== undefined) checkPassword(login.Password, windows, "LoginSettings.Password", undefined, passwordCode);
  const keyIds = login.KeyIds ?? [];
  if (keyIds.length > 0 && windows) {
    invalid("UnsupportedOperation.KeyPairUnsupportedWindows", `Key pairs cannot log in to Windows instances (image ${image.ImageId}).`);
  }
  keyIds.forEach((id, i) => {
    if (!/^skey-[a-z0-9]{8}$/.test(id)) invalid("InvalidKeyPairId.Malformed", `The key pair id \`${id.slice(0, 64)}\` in \`LoginSettings.KeyIds.${i}\` is malformed.`);
    // Key pairs are not emulated yet, so no key id can exist.
    invalid("InvalidParameterValue.KeyPairNotFound", `The key pair \`${id}\` in \`LoginSettings.KeyIds.${i}\` does not exist.`);
  });
  return keyIds;
}

function resolveTags(specs: M.TagSpecification[] | undefined): TagPair[] {
  const tags: TagPair[] = [];
  (specs ?? []).forEach((spec, i) => {
    oneOf(spec.ResourceType, TAG_RESOURCE_TYPES, `TagSpecification.${i}.ResourceType`);
    checkTags(spec.Tags, `TagSpecification.${i}.Tags`);
    if (spec.ResourceType === "instance") tags.push(...spec.Tags.map((t) => ({ Key: t.Key, Value: t.Value })));
  });
  checkTags(tags, "TagSpecification");
  return tags;
}

export function checkUserData(userData: string): void {
  const valid = /^[A-Za-z0-9+/]*={0,2}$/.test(userData) && userData.length % 4 === 0;
  if (!valid || Buffer.from(userData, "base64").length > MAX_USER_DATA_BYTES) {
    invalid("InvalidParameterValue.InvalidUserDataFormat", `\`UserData\` must be base64 text of at most ${MAX_USER_DATA_BYTES} bytes once decoded.`);
  }
}

export function checkCamRoleName(name: string): void {
  if (!/^[A-Za-z0-9+=,.@_-]{1,128}$/.test(name)) {
    invalid("InvalidParameterValue.CamRoleNameMalformed", `The CAM role name \`${name.slice(0, 64)}\` has characters other than letters, digits and +=,.@_-.`);
  }
}

/** GPUInfo of an instance of this type; undefined for types without GPUs. */
export function gpuInfo(spec: InstanceTypeSpec): M.GPUInfo | undefined {
  if (spec.gpuCount === 0) return undefined;
  return { GPUCount: spec.gpuCount, GPUId: Array.from({ length: Math.ceil(spec.gpuCount) }, () => `gpu-${randomBytes(4).toString("hex")}`), GPUType: spec.gpuType ?? "" };
}

function checkMiscellaneous(req: M.RunInstancesRequest): void {
  if (req.UserData !== undefined) checkUserData(req.UserData);
  if (req.CpuTopology && (req.CpuTopology.CoreCount === undefined) !== (req.CpuTopology.ThreadPerCore === undefined)) {
    invalid("InvalidParameter.LackCoreCountOrThreadPerCore", "`CpuTopology.CoreCount` and `CpuTopology.ThreadPerCore` must be given together.");
  }
  if (req.CamRoleName !== undefined) checkCamRoleName(req.CamRoleName);
  if (req.HpcClusterId !== undefined) invalid("ResourceNotFound.HpcCluster", `The HPC cluster \`${req.HpcClusterId.slice(0, 64)}\` does not exist.`);
  (req.DisasterRecoverGroupIds ?? []).forEach((id, i) => {
    if (!/^ps-[a-z0-9]{8}$/.test(id)) invalid("InvalidParameterValue.DisasterRecoverGroupIdMalformed", `The placement group id \`${id.slice(0, 64)}\` in \`DisasterRecoverGroupIds.${i}\` is malformed.`);
    invalid("FailedOperation.DisasterRecoverGroupNotFound", `The placement group \`${id}\` does not exist.`);
  });
  if (req.LaunchTemplate?.LaunchTemplateId !== undefined) {
    const id = req.LaunchTemplate.LaunchTemplateId;
    if (!/^lt-[a-z0-9]{8}$/.test(id)) invalid("InvalidParameterValue.LaunchTemplateIdMalformed", `The launch template id \`${id.slice(0, 64)}\` is malformed.`);
    invalid("InvalidParameterValue.LaunchTemplateIdNotExisted", `The launch template \`${id}\` does not exist.`);
  }
  if (req.DedicatedClusterId !== undefined) invalid("InvalidParameter.CdcNotSupported", "Dedicated clusters (CDC) are not available to this account.");
}

/** `ms` plus whole calendar months (UTC). */
export function addMonths(ms: number, months: number): number {
  const date = new Date(ms);
  date.setUTCMonth(date.getUTCMonth() + months);
  return date.getTime();
}

export function checkPeriod(period: number, parameter: string): void {
  if (!PREPAID_PERIODS.has(period)) {
    invalid("InvalidPeriod", `\`${parameter}\` must be one of ${[...PREPAID_PERIODS].join(", ")} months, but ${period} was given.`);
  }
}

export function checkRenewFlag(flag: string, parameter: string): string {
  return oneOf(flag, RENEW_FLAGS, parameter);
}

/** The charge type of a purchase (RunInstances) or a switch (ModifyInstancesChargeType), with its expiry and renew flag. */
export function resolveCharge(
  req: Pick<M.RunInstancesRequest, "InstanceChargeType" | "InstanceChargePrepaid">,
  now: number,
): { chargeType: string; expiredAt: number | null; renewFlag: string | null } {
  const chargeType = oneOf(req.InstanceChargeType ?? "POSTPAID_BY_HOUR", CHARGE_TYPES, "InstanceChargeType");
  if (chargeType === "CDHPAID" || chargeType === "CDCPAID") {
    invalid("InvalidParameterValue", `\`InstanceChargeType\` ${chargeType} needs a dedicated host or cluster, and this account has none.`);
  }
  if (chargeType !== "PREPAID") return { chargeType, expiredAt: null, renewFlag: null };
  const prepaid = req.InstanceChargePrepaid;
  if (!prepaid) invalid("MissingParameter", "The request is missing a required parameter `InstanceChargePrepaid` (required when InstanceChargeType is PREPAID).");
  checkPeriod(prepaid.Period, "InstanceChargePrepaid.Period");
  const renewFlag = checkRenewFlag(prepaid.RenewFlag ?? "NOTIFY_AND_MANUAL_RENEW", "InstanceChargePrepaid.RenewFlag");
  return { chargeType, expiredAt: addMonths(now, prepaid.Period), renewFlag };
}

/** An account's instance quota for one zone and charge type: settings.instanceQuota instances. */
export function zoneQuota(repo: InstanceRepository, settings: CvmSettings, zone: string, chargeType: string): { used: number; total: number; remaining: number } {
  const used = repo.countInZone(zone, chargeType);
  return { used, total: settings.instanceQuota, remaining: Math.max(0, settings.instanceQuota - used) };
}

/** Refuses `count` more instances of a charge type in a zone when the quota cannot take them. */
export function checkInstanceQuota(
  repo: InstanceRepository,
  settings: CvmSettings,
  zone: string,
  chargeType: string,
  count: number,
  code = QUOTA_CODES[chargeType] ?? "LimitExceeded.InstanceQuota",
): void {
  const { used, total, remaining } = zoneQuota(repo, settings, zone, chargeType);
  if (count > remaining) invalid(code, `The ${chargeType} instance quota of zone ${zone} is ${total}: ${used} are in use and ${count} were requested.`);
}

/** The host name an instance gets when none is asked for: VM-<last two octets>-<os>. */
export function defaultHostName(privateIp: string, os: string): string {
  return `VM-${privateIp.split(".").slice(2).join("-")}-${os}`;
}

export function runInstances(settings: CvmSettings): TypedHandler<M.RunInstancesRequest, M.RunInstancesResponse> {
  return (ctx, req) => {
    const now = ctx.clock.now();
    const repo = openInstances(ctx);
    if (req.ClientToken !== undefined) {
      if (req.ClientToken.length > 64 || !/^[\x20-\x7e]*$/.test(req.ClientToken)) {
        invalid("InvalidClientToken.TooLong", "`ClientToken` has at most 64 ASCII characters.");
      }
      const earlier = repo.findClientToken(req.ClientToken);
      if (earlier) return { InstanceIdSet: earlier };
    }
    checkMiscellaneous(req);
    const zone = resolveZone(ctx, req.Placement);
    const { chargeType, expiredAt, renewFlag } = resolveCharge(req, now);
    const image = resolveImage(req.ImageId);
    const spec = resolveInstanceType(req.InstanceType, zone, chargeType, image);
    const count = req.InstanceCount ?? 1;
    inRange(count, [1, MAX_INSTANCE_COUNT], "InstanceCount");
    if (req.MinCount !== undefined && (!Number.isInteger(req.MinCount) || req.MinCount < 1 || req.MinCount > count)) {
      invalid("InvalidParameterValue.InvalidParameterMinCount", `\`MinCount\` must be an integer from 1 to InstanceCount (${count}), but ${req.MinCount} was given.`);
    }
    const systemDisk = resolveSystemDisk(req.SystemDisk, image);
    const dataDisks = resolveDataDisks(req.DataDisks);
    const internet = resolveInternet(req.InternetAccessible, chargeType);
    const keyIds = resolveLogin(req.LoginSettings, image);
    const tags = resolveTags(req.TagSpecification);
    const nameTemplate = req.InstanceName ?? DEFAULT_INSTANCE_NAME;
    checkInstanceName(nameTemplate);
    const windows = image.osType === "windows";
    if (req.HostName !== undefined) {
      const problem = hostNameProblem(expandName(req.HostName, 0, 1, "10.0.0.1"), windows);
      if (problem) invalid("InvalidParameterValue.IllegalHostName", `The host name \`${req.HostName.slice(0, 64)}\` in \`HostName\` is not allowed: ${problem}.`);
    }

    const net = new NetworkRepository(ctx.store.db, ctx.account.uin, ctx.region);
    const network = resolveNetwork(ctx, net, req, zone, count);

    checkInstanceQuota(repo, settings, zone, chargeType, count);

    const launchAt = now + TIMING_PROFILES[settings.timing].launch;
    const taken = new Set<string>();
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const privateIp = network.requestedIps?.[i] ?? net.allocateIp(network.subnet, taken);
      taken.add(privateIp);
      const publicIp = internet.PublicIpAssigned ? net.allocatePublicIp() : null;
      const instanceId = newResourceId("ins");
      const doc: InstanceDoc = {
        Placement: { Zone: zone, ProjectId: req.Placement?.ProjectId ?? 0 },
        CPU: spec.cpu,
        Memory: spec.memory,
        RestrictState: "NORMAL",
        SystemDisk: { ...systemDisk, DiskId: i === 0 ? systemDisk.DiskId : newResourceId("disk") },
        DataDisks: dataDisks.map((d) => ({ ...d, DiskId: i === 0 ? d.DiskId : newResourceId("disk") })),
        InternetAccessible: internet,
        VirtualPrivateCloud: { VpcId: network.subnet.vpcId, SubnetId: network.subnet.subnetId, AsVpcGateway: false, Ipv6AddressCount: 0 },
        RenewFlag: renewFlag,
        OsName: image.OsName,
        SecurityGroupIds: network.securityGroupIds,
        LoginSettings: { KeyIds: keyIds },
        Tags: tags,
        StopChargingMode: "NOT_APPLICABLE",
        DisasterRecoverGroupId: "",
        DisasterRecoverGroupIds: [],
        IPv6Addresses: null,
        CamRoleName: req.CamRoleName ?? "",
        HpcClusterId: "",
        RdmaIpAddresses: [],
        DedicatedClusterId: "",
        IsolatedSource: "NOTISOLATED",
        LicenseType: "TencentCloud",
        DisableApiTermination: req.DisableApiTermination ?? false,
        HostName: req.HostName !== undefined ? expandName(req.HostName, i, count, privateIp) : defaultHostName(privateIp, image.osType === "windows" ? "windows" : image.Platform?.toLowerCase() ?? "linux"),
        DefaultLoginUser: image.defaultLoginUser,
        DefaultLoginPort: image.defaultLoginPort,
        LatestOperationErrorMsg: "",
        EnableJumboFrame: req.EnableJumboFrame ?? false,
        CpuTopology: req.CpuTopology ?? { CoreCount: spec.cpu, ThreadPerCore: 2 },
      };
      const gpu = gpuInfo(spec);
      if (gpu) doc.GPUInfo = gpu;
      if (req.UserData !== undefined) doc.UserData = req.UserData;
      const record: InstanceRecord = {
        instanceId,
        uuid: randomUUID(),
        zone,
        projectId: req.Placement?.ProjectId ?? 0,
        instanceType: spec.instanceType,
        instanceName: expandName(nameTemplate, i, count, privateIp),
        chargeType,
        imageId: image.ImageId!,
        state: "PENDING",
        pendingState: "RUNNING",
        pendingAt: launchAt,
        latestOperation: "RunInstances",
        latestOperationState: "OPERATING",
        latestOperationRequestId: ctx.requestId,
        vpcId: network.subnet.vpcId,
        subnetId: network.subnet.subnetId,
        privateIp,
        publicIp,
        createdAt: now,
        expiredAt,
        doc,
      };
      repo.insert(record);
      ids.push(instanceId);
    }
    if (req.ClientToken !== undefined) repo.saveClientToken(req.ClientToken, ids, now);
    return { InstanceIdSet: ids };
  };
}
