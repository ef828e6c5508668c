// RunInstances: every parameter checked with the documented defaults and codes, then the instances are
// created in PENDING and reach RUNNING when the launch time of the timing profile has passed.
import { randomBytes, randomUUID } from "node:crypto";
import type * as M from "tencentcloud-sdk-nodejs-cvm/tencentcloud/services/cvm/v20170312/cvm_models.js";
import type { ActionContext, TypedHandler } from "../../../gateway/product.js";
import { malformedIdText } from "../../../protocol/messages.js";
import { apiError, type LocalizedText } from "../../../protocol/errors.js";
import { findPublicImage, type ImageRecord } from "../catalog/images.js";
import { findInstanceType, INSTANCE_TYPE_RE, offersInZone, zoneOffers, type InstanceTypeSpec } from "../catalog/instance-types.js";
import { CATALOG, findZone } from "../catalog/regions.js";
import { newResourceId } from "../ids.js";
import { NetworkRepository, type Subnet } from "../network/repository.js";
import type { CvmSettings } from "../settings.js";
import { checkTags, type TagPair } from "../tags.js";
import { TIMING_PROFILES } from "../timing.js";
import { missingParameter, notInRange, notOneOf, securityGroupNotFound } from "./messages.js";
import { checkInstanceName, expandName, hostNameProblem, illegalHostName } from "./naming.js";
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

function invalid(code: string, text: LocalizedText): never {
  throw apiError(code, text);
}

export function oneOf<T extends string>(value: string, allowed: readonly T[], parameter: string): T {
  if (!(allowed as readonly string[]).includes(value)) {
    invalid("InvalidParameterValue", notOneOf(parameter, allowed, value.slice(0, 64)));
  }
  return value as T;
}

function inRange(value: number, [min, max]: readonly [number, number], parameter: string, code = "InvalidParameterValue.Range"): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    invalid(code, notInRange(parameter, min, max, value));
  }
}

function resolveZone(ctx: ActionContext, placement: M.Placement | undefined): string {
  if (!placement) invalid("MissingParameter", missingParameter("Placement"));
  const zone = findZone(ctx.region, placement.Zone);
  if (!zone) {
    const otherRegion = [...CATALOG.values()].find((r) => r.zones.some((z) => z.zone === placement.Zone));
    if (otherRegion) {
      invalid("InvalidZone.MismatchRegion", {
        en: `The zone \`${placement.Zone}\` in \`Placement.Zone\` is in region ${otherRegion.region}, not in ${ctx.region}; give a zone of ${ctx.region}.`,
        zh: `参数\`Placement.Zone\`中的可用区\`${placement.Zone}\`属于地域 ${otherRegion.region}，不属于 ${ctx.region}，请指定地域 ${ctx.region} 的可用区。`,
      });
    }
    const asked = placement.Zone.slice(0, 64);
    invalid("InvalidParameterValue.ZoneNotSupported", {
      en: `The zone \`${asked}\` in \`Placement.Zone\` does not exist in region ${ctx.region}; DescribeZones lists its zones.`,
      zh: `参数\`Placement.Zone\`中的可用区\`${asked}\`在地域 ${ctx.region} 中不存在，可通过 DescribeZones 查询该地域的可用区。`,
    });
  }
  if (!zone.available) {
    invalid("ResourceInsufficient.AvailabilityZoneSoldOut", {
      en: `The zone \`${zone.zone}\` in \`Placement.Zone\` is sold out; give another zone.`,
      zh: `参数\`Placement.Zone\`中的可用区\`${zone.zone}\`已售罄，请指定其他可用区。`,
    });
  }
  if (placement.ProjectId !== undefined) checkProjectId(placement.ProjectId, "Placement.ProjectId");
  placement.HostIds?.forEach((id, i) => {
    const where = `Placement.HostIds.${i}`;
    if (!/^host-[a-z0-9]{8}$/.test(id)) invalid("InvalidHostId.Malformed", malformedIdText({ en: "dedicated host id", zh: "专用宿主机 ID" }, id, where, "host"));
    invalid("InvalidHostId.NotFound", {
      en: `The dedicated host \`${id}\` in \`${where}\` does not exist: this account has no dedicated hosts.`,
      zh: `参数\`${where}\`中的专用宿主机\`${id}\`不存在：该账号没有专用宿主机。`,
    });
  });
  return zone.zone;
}

/** Projects are not emulated: every non-negative integer names one (0 is the default project). */
export function checkProjectId(projectId: number, parameter: string): void {
  if (!Number.isInteger(projectId) || projectId < 0) {
    invalid("InvalidProjectId.NotFound", {
      en: `The project \`${projectId}\` in \`${parameter}\` does not exist: project ids are non-negative integers (0 is the default project).`,
      zh: `参数\`${parameter}\`中的项目\`${projectId}\`不存在：项目 ID 应为非负整数（0 为默认项目）。`,
    });
  }
}

export function resolveImage(imageId: string | undefined): ImageRecord {
  if (imageId === undefined) invalid("MissingParameter", missingParameter("ImageId"));
  if (!/^img-[a-z0-9]{8}$/.test(imageId)) {
    invalid("InvalidImageId.Malformed", malformedIdText({ en: "image id", zh: "镜像 ID" }, imageId, "ImageId", "img"));
  }
  const image = findPublicImage(imageId);
  if (!image) {
    invalid("InvalidImageId.NotFound", {
      en: `The image \`${imageId}\` in \`ImageId\` does not exist; DescribeImages lists the images.`,
      zh: `参数\`ImageId\`中的镜像\`${imageId}\`不存在，可通过 DescribeImages 查询可用镜像。`,
    });
  }
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
    invalid("InvalidInstanceType.Malformed", {
      en: `The instance type \`${name.slice(0, 64)}\` in \`InstanceType\` is malformed: it looks like S5.MEDIUM4.`,
      zh: `参数\`InstanceType\`中的机型\`${name.slice(0, 64)}\`格式错误，应形如 S5.MEDIUM4。`,
    });
  }
  const spec = findInstanceType(name);
  if (!spec) {
    invalid("InvalidParameterValue.InstanceTypeNotFound", {
      en: `The instance type \`${name.slice(0, 64)}\` in \`InstanceType\` does not exist; DescribeInstanceTypeConfigs lists the types.`,
      zh: `参数\`InstanceType\`中的机型\`${name.slice(0, 64)}\`不存在，可通过 DescribeInstanceTypeConfigs 查询可用机型。`,
    });
  }
  const offers = zoneOffers(zone, name);
  if (offers.length === 0) {
    invalid(notInZoneCode, {
      en: `The instance type \`${name}\` in \`InstanceType\` is not offered in zone ${zone}; give a type the zone sells.`,
      zh: `参数\`InstanceType\`中的机型\`${name}\`在可用区 ${zone} 不提供，请指定该可用区在售的机型。`,
    });
  }
  const offer = offers.find((o) => o.chargeType === chargeType);
  if (!offer) {
    if (chargeType === "SPOTPAID") {
      invalid("UnsupportedOperation.NoInstanceTypeSupportSpot", {
        en: `The instance type \`${name}\` in \`InstanceType\` cannot be bought as a spot instance (\`InstanceChargeType\` SPOTPAID).`,
        zh: `参数\`InstanceType\`中的机型\`${name}\`不支持以竞价实例（参数\`InstanceChargeType\`为 SPOTPAID）购买。`,
      });
    }
    invalid("ResourceUnavailable.InstanceType", {
      en: `The instance type \`${name}\` in \`InstanceType\` cannot be bought as ${chargeType} (\`InstanceChargeType\`) in zone ${zone}.`,
      zh: `参数\`InstanceType\`中的机型\`${name}\`在可用区 ${zone} 不支持以 ${chargeType}（参数\`InstanceChargeType\`）购买。`,
    });
  }
  if (offer.status !== "SELL") {
    invalid("ResourcesSoldOut.SpecifiedInstanceType", {
      en: `The instance type \`${name}\` in \`InstanceType\` is sold out in zone ${zone}; give another type or zone.`,
      zh: `参数\`InstanceType\`中的机型\`${name}\`在可用区 ${zone} 已售罄，请指定其他机型或可用区。`,
    });
  }
  return spec;
}

function resolveInstanceType(requested: string | undefined, zone: string, chargeType: string, image: ImageRecord): InstanceTypeSpec {
  const name = requested ?? defaultInstanceType(zone, chargeType, image.Architecture ?? "x86_64");
  if (name === undefined) {
    invalid("ResourceInsufficient.AvailabilityZoneSoldOut", {
      en: `The zone \`${zone}\` in \`Placement.Zone\` sells no ${chargeType} instance type for ${image.Architecture} at the moment; give another zone or an \`InstanceType\`.`,
      zh: `参数\`Placement.Zone\`中的可用区\`${zone}\`当前没有在售的 ${image.Architecture} 架构 ${chargeType} 机型，请指定其他可用区或参数\`InstanceType\`。`,
    });
  }
  const spec = findSellingType(name, zone, chargeType);
  if (spec.architecture !== image.Architecture) {
    invalid("InvalidParameterValue.InvalidImageForGivenInstanceType", {
      en: `The image \`${image.ImageId}\` in \`ImageId\` (${image.Architecture}) cannot run on the instance type \`${name}\` in \`InstanceType\` (${spec.architecture}); give an image and a type of the same architecture.`,
      zh: `参数\`ImageId\`中的镜像\`${image.ImageId}\`（${image.Architecture}）不能用于参数\`InstanceType\`中的机型\`${name}\`（${spec.architecture}），请指定架构相同的镜像和机型。`,
    });
  }
  return spec;
}

function resolveSystemDisk(disk: M.SystemDisk | undefined, image: ImageRecord): M.SystemDisk {
  const type = disk?.DiskType !== undefined ? oneOf(disk.DiskType, DISK_TYPES, "SystemDisk.DiskType") : "CLOUD_PREMIUM";
  const size = disk?.DiskSize ?? Math.max(50, image.ImageSize ?? 0);
  inRange(size, SYSTEM_DISK_RANGE, "SystemDisk.DiskSize");
  if (size < (image.ImageSize ?? 0)) {
    invalid("InvalidParameterValue.Range", {
      en: `The system disk (\`SystemDisk.DiskSize\` ${size} GB) is smaller than the image ${image.ImageId} (${image.ImageSize} GB); give at least ${image.ImageSize}.`,
      zh: `参数\`SystemDisk.DiskSize\`（${size} GB）小于镜像 ${image.ImageId} 的大小（${image.ImageSize} GB），应至少为 ${image.ImageSize}。`,
    });
  }
  return { DiskType: type, DiskId: newResourceId("disk"), DiskSize: size };
}

function resolveDataDisks(disks: M.DataDisk[] | undefined): M.DataDisk[] {
  const list = disks ?? [];
  if (list.length > MAX_DATA_DISKS) {
    invalid("InvalidParameterValue.LimitExceeded", {
      en: `The parameter \`DataDisks\` has ${list.length} disks; at most ${MAX_DATA_DISKS} are allowed.`,
      zh: `参数\`DataDisks\`指定了 ${list.length} 块数据盘，最多允许 ${MAX_DATA_DISKS} 块。`,
    });
  }
  return list.map((d, i) => {
    const where = `DataDisks.${i}`;
    const type = d.DiskType !== undefined ? oneOf(d.DiskType, DISK_TYPES, `${where}.DiskType`) : "CLOUD_PREMIUM";
    inRange(d.DiskSize, DATA_DISK_RANGE, `${where}.DiskSize`);
    if (d.DiskSize % 10 !== 0) {
      invalid("InvalidParameterValue.Range", {
        en: `The parameter \`${where}.DiskSize\` must be a multiple of 10 GB, but ${d.DiskSize} was given.`,
        zh: `参数\`${where}.DiskSize\`应为 10 GB 的整数倍，实际为 ${d.DiskSize}。`,
      });
    }
    if (type === "CLOUD_SSD" && d.DiskSize < 100) {
      invalid("InvalidParameterValue.CloudSsdDataDiskSizeTooSmall", {
        en: `A CLOUD_SSD data disk has at least 100 GB, but \`${where}.DiskSize\` is ${d.DiskSize}.`,
        zh: `CLOUD_SSD 数据盘至少为 100 GB，但参数\`${where}.DiskSize\`为 ${d.DiskSize}。`,
      });
    }
    if (d.SnapshotId !== undefined) {
      const snapshotWhere = `${where}.SnapshotId`;
      if (!/^snap-[a-z0-9]{8}$/.test(d.SnapshotId)) {
        invalid("InvalidParameterValue.SnapshotIdMalformed", malformedIdText({ en: "snapshot id", zh: "快照 ID" }, d.SnapshotId, snapshotWhere, "snap"));
      }
      invalid("InvalidParameter.SnapshotNotFound", {
        en: `The snapshot \`${d.SnapshotId}\` in \`${snapshotWhere}\` does not exist: this account has no snapshots.`,
        zh: `参数\`${snapshotWhere}\`中的快照\`${d.SnapshotId}\`不存在：该账号没有快照。`,
      });
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

async function resolveNetwork(ctx: ActionContext, net: NetworkRepository, req: M.RunInstancesRequest, zone: string, count: number): Promise<NetworkPlan> {
  const now = ctx.clock.now();
  const vpc = req.VirtualPrivateCloud;
  let subnet: Subnet;
  if (!vpc || (vpc.VpcId === "DEFAULT" && vpc.SubnetId === "DEFAULT")) {
    subnet = await net.defaultSubnet(zone, now);
  } else {
    subnet = await net.resolveSubnet(vpc, now);
    net.ensureSubnetInZone(subnet, zone);
  }
  const ips = vpc?.PrivateIpAddresses;
  if (ips !== undefined) {
    if (ips.length !== count || ips.length > 20) {
      invalid("InvalidParameterValue", {
        en: `\`VirtualPrivateCloud.PrivateIpAddresses\` must give one address per instance (InstanceCount ${count}, at most 20); ${ips.length} were given.`,
        zh: `参数\`VirtualPrivateCloud.PrivateIpAddresses\`应为每个实例各指定一个地址（参数\`InstanceCount\`为 ${count}，最多 20 个），实际指定了 ${ips.length} 个。`,
      });
    }
    await net.checkRequestedIps(subnet, ips);
  }
  let securityGroupIds = req.SecurityGroupIds ?? [];
  if (securityGroupIds.length > MAX_SECURITY_GROUPS) {
    invalid("InvalidParameterValue.LimitExceeded", {
      en: `The parameter \`SecurityGroupIds\` has ${securityGroupIds.length} groups; an instance takes at most ${MAX_SECURITY_GROUPS}.`,
      zh: `参数\`SecurityGroupIds\`指定了 ${securityGroupIds.length} 个安全组，一个实例最多绑定 ${MAX_SECURITY_GROUPS} 个。`,
    });
  }
  if (securityGroupIds.length === 0) securityGroupIds = [await net.defaultSecurityGroupId(now)];
  const missing = await net.missingSecurityGroups(securityGroupIds);
  const absent = missing[0];
  if (absent !== undefined) {
    invalid("InvalidSecurityGroupId.NotFound", securityGroupNotFound(absent.slice(0, 64), `SecurityGroupIds.${securityGroupIds.indexOf(absent)}`, ctx.region));
  }
  return { subnet, requestedIps: ips, securityGroupIds: [...new Set(securityGroupIds)] };
}

function resolveInternet(ia: M.InternetAccessible | undefined, chargeType: string): M.InternetAccessible {
  const bandwidth = ia?.InternetMaxBandwidthOut ?? 0;
  inRange(bandwidth, [0, 200], "InternetAccessible.InternetMaxBandwidthOut");
  const defaultCharge = chargeType === "PREPAID" ? "BANDWIDTH_PREPAID" : "TRAFFIC_POSTPAID_BY_HOUR";
  const internetCharge = ia?.InternetChargeType !== undefined ? oneOf(ia.InternetChargeType, INTERNET_CHARGE_TYPES, "InternetAccessible.InternetChargeType") : defaultCharge;
  if (ia?.PublicIpAssigned === true && bandwidth === 0) {
    invalid("InvalidParameterCombination", {
      en: "`InternetAccessible.PublicIpAssigned` cannot be true when `InternetAccessible.InternetMaxBandwidthOut` is 0.",
      zh: "参数`InternetAccessible.InternetMaxBandwidthOut`为 0 时，参数`InternetAccessible.PublicIpAssigned`不能为 true。",
    });
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
    invalid("InvalidParameterCombination", {
      en: "`LoginSettings.Password` and `LoginSettings.KeyIds` cannot be given together: give one of them.",
      zh: "参数`LoginSettings.Password`和`LoginSettings.KeyIds`不能同时指定，请只指定其中一个。",
    });
  }
  if (given > 1) {
    invalid("InvalidParameter.ParameterConflict", {
      en: "`LoginSettings.KeepImageLogin` (\"true\") cannot be combined with a password or key pairs.",
      zh: "参数`LoginSettings.KeepImageLogin`为 \"true\" 时，不能同时指定密码或密钥对。",
    });
  }
  if (login.KeepImageLogin !== undefined && !["true", "false"].includes(login.KeepImageLogin)) {
    invalid("InvalidParameterValue", notOneOf("LoginSettings.KeepImageLogin", ["true", "false"], login.KeepImageLogin.slice(0, 64)));
  }
  if (login.KeepImageLogin === "true" && image.ImageType === "PUBLIC_IMAGE") {
    invalid("InvalidParameterValue", {
      en: `\`LoginSettings.KeepImageLogin\` applies only to custom, shared or imported images; ${image.ImageId} is a public image.`,
      zh: `参数\`LoginSettings.KeepImageLogin\`仅适用于自定义镜像、共享镜像或导入镜像，而镜像 ${image.ImageId} 是公共镜像。`,
    });
  }
  if (login.Password !== undefined) checkPassword(login.Password, windows, "LoginSettings.Password", undefined, passwordCode);
  const keyIds = login.KeyIds ?? [];
  if (keyIds.length > 0 && windows) {
    invalid("UnsupportedOperation.KeyPairUnsupportedWindows", {
      en: `Key pairs (\`LoginSettings.KeyIds\`) cannot log in to Windows instances (image ${image.ImageId}); give \`LoginSettings.Password\` instead.`,
      zh: `Windows 实例（镜像 ${image.ImageId}）不支持密钥对登录（参数\`LoginSettings.KeyIds\`），请改用参数\`LoginSettings.Password\`。`,
    });
  }
  keyIds.forEach((id, i) => {
    const where = `LoginSettings.KeyIds.${i}`;
    if (!/^skey-[a-z0-9]{8}$/.test(id)) invalid("InvalidKeyPairId.Malformed", malformedIdText({ en: "key pair id", zh: "密钥对 ID" }, id, where, "skey"));
    // Key pairs are not emulated yet, so no key id can exist.
    invalid("InvalidParameterValue.KeyPairNotFound", {
      en: `The key pair \`${id}\` in \`${where}\` does not exist: this account has no key pairs.`,
      zh: `参数\`${where}\`中的密钥对\`${id}\`不存在：该账号没有密钥对。`,
    });
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
  if (!valid) {
    invalid("InvalidParameterValue.InvalidUserDataFormat", {
      en: `\`UserData\` must be base64 text of at most ${MAX_USER_DATA_BYTES} bytes once decoded, but \`${userData.slice(0, 32)}\`${userData.length > 32 ? "…" : ""} (${userData.length} characters) is not base64.`,
      zh: `参数\`UserData\`应为 base64 编码的文本，解码后不超过 ${MAX_USER_DATA_BYTES} 字节，但所给值\`${userData.slice(0, 32)}\`${userData.length > 32 ? "…" : ""}（${userData.length} 个字符）不是合法的 base64。`,
    });
  }
  const bytes = Buffer.from(userData, "base64").length;
  if (bytes > MAX_USER_DATA_BYTES) {
    invalid("InvalidParameterValue.InvalidUserDataFormat", {
      en: `\`UserData\` must be base64 text of at most ${MAX_USER_DATA_BYTES} bytes once decoded, but the value given decodes to ${bytes} bytes.`,
      zh: `参数\`UserData\`应为 base64 编码的文本，解码后不超过 ${MAX_USER_DATA_BYTES} 字节，但所给值解码后为 ${bytes} 字节。`,
    });
  }
}

export function checkCamRoleName(name: string): void {
  if (!/^[A-Za-z0-9+=,.@_-]{1,128}$/.test(name)) {
    invalid("InvalidParameterValue.CamRoleNameMalformed", {
      en: `The CAM role name \`${name.slice(0, 64)}\` in \`CamRoleName\` is malformed: it must have 1 to 128 letters, digits and +=,.@_- characters.`,
      zh: `参数\`CamRoleName\`中的 CAM 角色名\`${name.slice(0, 64)}\`格式错误，应为 1 到 128 个字母、数字或 +=,.@_- 字符。`,
    });
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
    const given = req.CpuTopology.CoreCount !== undefined ? "CpuTopology.CoreCount" : "CpuTopology.ThreadPerCore";
    invalid("InvalidParameter.LackCoreCountOrThreadPerCore", {
      en: `\`CpuTopology.CoreCount\` and \`CpuTopology.ThreadPerCore\` must be given together, but only \`${given}\` was given.`,
      zh: `参数\`CpuTopology.CoreCount\`和\`CpuTopology.ThreadPerCore\`必须同时指定，但只指定了\`${given}\`。`,
    });
  }
  if (req.CamRoleName !== undefined) checkCamRoleName(req.CamRoleName);
  if (req.HpcClusterId !== undefined) {
    const id = req.HpcClusterId.slice(0, 64);
    invalid("ResourceNotFound.HpcCluster", {
      en: `The HPC cluster \`${id}\` in \`HpcClusterId\` does not exist: this account has no HPC clusters.`,
      zh: `参数\`HpcClusterId\`中的高性能计算集群\`${id}\`不存在：该账号没有高性能计算集群。`,
    });
  }
  (req.DisasterRecoverGroupIds ?? []).forEach((id, i) => {
    const where = `DisasterRecoverGroupIds.${i}`;
    if (!/^ps-[a-z0-9]{8}$/.test(id)) {
      invalid("InvalidParameterValue.DisasterRecoverGroupIdMalformed", malformedIdText({ en: "placement group id", zh: "置放群组 ID" }, id, where, "ps"));
    }
    invalid("FailedOperation.DisasterRecoverGroupNotFound", {
      en: `The placement group \`${id}\` in \`${where}\` does not exist: this account has no placement groups.`,
      zh: `参数\`${where}\`中的置放群组\`${id}\`不存在：该账号没有置放群组。`,
    });
  });
  if (req.LaunchTemplate?.LaunchTemplateId !== undefined) {
    const id = req.LaunchTemplate.LaunchTemplateId;
    const where = "LaunchTemplate.LaunchTemplateId";
    if (!/^lt-[a-z0-9]{8}$/.test(id)) invalid("InvalidParameterValue.LaunchTemplateIdMalformed", malformedIdText({ en: "launch template id", zh: "实例启动模板 ID" }, id, where, "lt"));
    invalid("InvalidParameterValue.LaunchTemplateIdNotExisted", {
      en: `The launch template \`${id}\` in \`${where}\` does not exist: this account has no launch templates.`,
      zh: `参数\`${where}\`中的实例启动模板\`${id}\`不存在：该账号没有实例启动模板。`,
    });
  }
  if (req.DedicatedClusterId !== undefined) {
    const id = req.DedicatedClusterId.slice(0, 64);
    invalid("InvalidParameter.CdcNotSupported", {
      en: `The dedicated cluster \`${id}\` in \`DedicatedClusterId\` cannot be used: dedicated clusters (CDC) are not available to this account.`,
      zh: `参数\`DedicatedClusterId\`中的专用集群\`${id}\`不可用：该账号不支持专用集群（CDC）。`,
    });
  }
}

/** `ms` plus whole calendar months (UTC). */
export function addMonths(ms: number, months: number): number {
  const date = new Date(ms);
  date.setUTCMonth(date.getUTCMonth() + months);
  return date.getTime();
}

export function checkPeriod(period: number, parameter: string): void {
  if (!PREPAID_PERIODS.has(period)) {
    invalid("InvalidPeriod", {
      en: `\`${parameter}\` must be one of ${[...PREPAID_PERIODS].join(", ")} months, but ${period} was given.`,
      zh: `参数\`${parameter}\`的取值 ${period} 无效，可选值为 ${[...PREPAID_PERIODS].join("、")}（单位：月）。`,
    });
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
    invalid("InvalidParameterValue", {
      en: `\`InstanceChargeType\` ${chargeType} needs a dedicated host or cluster, and this account has none; give PREPAID, POSTPAID_BY_HOUR or SPOTPAID.`,
      zh: `参数\`InstanceChargeType\`为 ${chargeType} 时需要专用宿主机或专用集群，而该账号没有，请指定 PREPAID、POSTPAID_BY_HOUR 或 SPOTPAID。`,
    });
  }
  if (chargeType !== "PREPAID") return { chargeType, expiredAt: null, renewFlag: null };
  const prepaid = req.InstanceChargePrepaid;
  if (!prepaid) {
    invalid("MissingParameter", missingParameter("InstanceChargePrepaid", { en: "required when InstanceChargeType is PREPAID", zh: "参数`InstanceChargeType`为 PREPAID 时必须指定" }));
  }
  checkPeriod(prepaid.Period, "InstanceChargePrepaid.Period");
  const renewFlag = checkRenewFlag(prepaid.RenewFlag ?? "NOTIFY_AND_MANUAL_RENEW", "InstanceChargePrepaid.RenewFlag");
  return { chargeType, expiredAt: addMonths(now, prepaid.Period), renewFlag };
}

/** An account's instance quota for one zone and charge type: settings.instanceQuota instances. */
export async function zoneQuota(repo: InstanceRepository, settings: CvmSettings, zone: string, chargeType: string): Promise<{ used: number; total: number; remaining: number }> {
  const used = await repo.countInZone(zone, chargeType);
  return { used, total: settings.instanceQuota, remaining: Math.max(0, settings.instanceQuota - used) };
}

/** Refuses `count` more instances of a charge type in a zone when the quota cannot take them. */
export async function checkInstanceQuota(
  repo: InstanceRepository,
  settings: CvmSettings,
  zone: string,
  chargeType: string,
  count: number,
  parameter: string,
  code = QUOTA_CODES[chargeType] ?? "LimitExceeded.InstanceQuota",
): Promise<void> {
  const { used, total, remaining } = await zoneQuota(repo, settings, zone, chargeType);
  if (count > remaining) {
    invalid(code, {
      en: `The ${chargeType} instance quota of zone ${zone} is ${total}: ${used} are in use and ${count} were requested (\`${parameter}\`); at most ${remaining} more fit.`,
      zh: `可用区 ${zone} 的 ${chargeType} 实例配额为 ${total} 台，已使用 ${used} 台，参数\`${parameter}\`请求 ${count} 台，最多还能再创建 ${remaining} 台。`,
    });
  }
}

/** The host name an instance gets when none is asked for: VM-<last two octets>-<os>. */
export function defaultHostName(privateIp: string, os: string): string {
  return `VM-${privateIp.split(".").slice(2).join("-")}-${os}`;
}

export function runInstances(settings: CvmSettings): TypedHandler<M.RunInstancesRequest, M.RunInstancesResponse> {
  return async (ctx, req) => {
    const now = ctx.clock.now();
    const repo = await openInstances(ctx);
    if (req.ClientToken !== undefined) {
      if (req.ClientToken.length > 64 || !/^[\x20-\x7e]*$/.test(req.ClientToken)) {
        const start = req.ClientToken.slice(0, 64);
        invalid("InvalidClientToken.TooLong", {
          en: `\`ClientToken\` has at most 64 printable ASCII characters, but \`${start}\`${req.ClientToken.length > 64 ? "…" : ""} (${req.ClientToken.length} characters) was given.`,
          zh: `参数\`ClientToken\`最多包含 64 个可打印 ASCII 字符，所给值\`${start}\`${req.ClientToken.length > 64 ? "…" : ""}长度为 ${req.ClientToken.length} 个字符。`,
        });
      }
      const earlier = await repo.findClientToken(req.ClientToken);
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
      invalid("InvalidParameterValue.InvalidParameterMinCount", {
        en: `\`MinCount\` must be an integer from 1 to InstanceCount (${count}), but ${req.MinCount} was given.`,
        zh: `参数\`MinCount\`应为 1 到 InstanceCount（${count}）之间的整数，实际为 ${req.MinCount}。`,
      });
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
      if (problem) invalid("InvalidParameterValue.IllegalHostName", illegalHostName(req.HostName.slice(0, 64), "HostName", problem));
    }

    const net = new NetworkRepository(ctx.sql, ctx.account.uin, ctx.region);
    const network = await resolveNetwork(ctx, net, req, zone, count);

    await checkInstanceQuota(repo, settings, zone, chargeType, count, "InstanceCount");

    const launchAt = now + TIMING_PROFILES[settings.timing].launch;
    const taken = new Set<string>();
    const drawnIds = new Set<string>();
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const privateIp = network.requestedIps?.[i] ?? (await net.allocateIp(network.subnet, taken));
      taken.add(privateIp);
      const publicIp = internet.PublicIpAssigned ? await net.allocatePublicIp() : null;
      const instanceId = await repo.freshInstanceId(drawnIds);
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
      await repo.insert(record);
      ids.push(instanceId);
    }
    if (req.ClientToken !== undefined) await repo.saveClientToken(req.ClientToken, ids, now);
    return { InstanceIdSet: ids };
  };
}
