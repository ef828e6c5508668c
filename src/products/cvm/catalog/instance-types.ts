// The CVM instance-type catalog: families, their sizes, and what each available zone sells.
//
// A type is named `<Family>.<Size><MemoryGiB>`; the size word gives the vCPUs: SMALL 1, MEDIUM 2, LARGE 4
// and nXLARGE 4n (2XLARGE 8, 16XLARGE 64, …). Every type of a family is generated from one compact row
// below, and every zone's offers are derived from the zone and the family's generation with a stable
// hash, so the catalog is the same on every run without being a giant literal.
//
// Sources: vendor examples (DescribeInstanceFamilyConfigs names in both languages, DescribeInstanceTypeConfigs
// S6 sizes, the DescribeZoneInstanceConfigInfos S2.SMALL1 item: "Intel Xeon E5-2680 v4", "2.4GHz", 1.5 Gbps,
// 20 ×10k pps). Processors, prices, bandwidths and which sizes are sold out are realistic, not vendor data.
import type { Language } from "../../../protocol/errors.js";
import { findZone, type Zone } from "./regions.js";

export type Architecture = "x86_64" | "arm";
export type ChargeType = "POSTPAID_BY_HOUR" | "PREPAID" | "SPOTPAID";
export type SaleStatus = "SELL" | "SOLD_OUT";
export type StockCategory = "EnoughStock" | "NormalStock" | "UnderStock" | "WithoutStock";

export interface InstanceFamily {
  family: string;
  nameZh: string;
  nameEn: string;
}

export interface LocalDisk {
  /** LOCAL_SSD or LOCAL_NVME. */
  type: string;
  /** Size of one local disk, GiB. */
  blockGiB: number;
  /** How many local disks the type comes with. */
  blocks: number;
}

/** One instance type, the same in every zone that sells it. */
export interface InstanceTypeSpec {
  instanceType: string;
  family: string;
  cpu: number;
  /** GiB. */
  memory: number;
  /** GPUs the instance sees (0 for non-GPU types). */
  gpu: number;
  /** Physical GPU cards behind them. */
  gpuCount: number;
  gpuType?: string;
  /** GiB per GPU. */
  gpuMemory?: number;
  fpga: number;
  architecture: Architecture;
  chargeTypes: readonly ChargeType[];
  cpuType: string;
  frequency: string;
  /** Private-network bandwidth, Gbps. */
  bandwidthGbps: number;
  /** Packet rate, in units of 10,000 packets per second (the API's 万PPS). */
  pps: number;
  /** NIC speed in Gbps (25 = 25G NIC); 0 for older hosts. */
  networkCard: number;
  localDisk?: LocalDisk;
  price: Prices;
}

/** A prepaid term: list price, what is paid, and the discount in the API's unit (83 = 83% of the list price). */
export interface PrepaidTerm {
  original: number;
  discounted: number;
  discount: number;
}

/** CNY. */
export interface Prices {
  hourly: number;
  spotHourly: number;
  monthly: number;
  oneYear: PrepaidTerm;
  threeYears: PrepaidTerm;
  fiveYears: PrepaidTerm;
}

/** One way to buy a type in a zone: DescribeZoneInstanceConfigInfos returns one item per offer. */
export interface ZoneOffer {
  zone: string;
  spec: InstanceTypeSpec;
  chargeType: ChargeType;
  status: SaleStatus;
  stockCategory: StockCategory;
}

/** current: sold everywhere; previous: sold, with gaps; legacy: kept for old zones, mostly sold out. */
type Generation = "current" | "previous" | "legacy";

const GENERATIONS: Record<Generation, { soldOutPercent: number; alwaysSellUpToCpu: number; chargeTypes: readonly ChargeType[] }> = {
  current: { soldOutPercent: 15, alwaysSellUpToCpu: 8, chargeTypes: ["PREPAID", "POSTPAID_BY_HOUR", "SPOTPAID"] },
  previous: { soldOutPercent: 35, alwaysSellUpToCpu: 2, chargeTypes: ["PREPAID", "POSTPAID_BY_HOUR", "SPOTPAID"] },
  legacy: { soldOutPercent: 80, alwaysSellUpToCpu: 0, chargeTypes: ["PREPAID", "POSTPAID_BY_HOUR"] },
};

/** Legacy types that still sell where the hash would sell them out (the vendor example sells S2.SMALL1 in ap-guangzhou-6). */
const STILL_SELLING: Readonly<Record<string, readonly string[]>> = {
  "S2.SMALL1": ["ap-guangzhou-3", "ap-guangzhou-6"],
};

type NetworkProfile = "legacy" | "modern" | "enhanced";

/** Bandwidth and packet rate grow with the vCPUs between a floor and a ceiling. */
const NETWORK: Record<NetworkProfile, { gbpsPerCpu: number; gbps: [number, number]; ppsPerCpu: number; pps: [number, number]; card: number }> = {
  legacy: { gbpsPerCpu: 0.25, gbps: [1.5, 10], ppsPerCpu: 3, pps: [20, 100], card: 0 },
  modern: { gbpsPerCpu: 0.375, gbps: [1.5, 25], ppsPerCpu: 6.25, pps: [25, 700], card: 25 },
  enhanced: { gbpsPerCpu: 0.75, gbps: [2, 50], ppsPerCpu: 12.5, pps: [50, 1000], card: 25 },
};

/** CNY per vCPU-hour and per GiB-hour of a family with price index 1. */
const CPU_HOUR_PRICE = 0.12;
const GIB_HOUR_PRICE = 0.04;
/** A month of a prepaid type costs this many hours of the pay-as-you-go price. */
const HOURS_PER_PREPAID_MONTH = 360;
const SPOT_PRICE_SHARE = 0.2;
/** Longer prepaid terms are cheaper: the percent of the list price paid. */
const TERM_DISCOUNTS = { oneYear: 83, threeYears: 50, fiveYears: 40 };

interface FamilyRow extends InstanceFamily {
  generation: Generation;
  cpuType: string;
  frequency: string;
  architecture?: Architecture;
  network: NetworkProfile;
  /** `<size word><memory GiB>`, space separated; a `:n` suffix gives the size n GPUs (or FPGAs, for FPGA families). */
  sizes: string;
  gpu?: { type: string; memoryGiB: number; hourPrice: number };
  fpga?: { hourPrice: number };
  localDisk?: { type: string; blockGiB: number; cpusPerBlock: number };
  priceIndex: number;
  /** Which available zones carry the family; all of them when absent. */
  zones?: (zone: Zone) => boolean;
}

const LEGACY_REGIONS = new Set(["ap-guangzhou", "ap-shanghai", "ap-beijing", "ap-hongkong", "ap-singapore", "na-siliconvalley"]);
/** The first zones of the oldest regions, where the older hardware still stands. */
const foundingZones = (zone: Zone): boolean => LEGACY_REGIONS.has(regionOfZone(zone.zone)) && zone.number <= 4;
const inZones =
  (...names: string[]) =>
  (zone: Zone): boolean =>
    names.includes(zone.zone);

const SMALL_TO_4XLARGE = "SMALL1 SMALL2 SMALL4 MEDIUM2 MEDIUM4 MEDIUM8 LARGE8 LARGE16 2XLARGE16 2XLARGE32 4XLARGE32 4XLARGE64";
const CASCADE_LAKE = "Intel Xeon Cascade Lake 8255C";
const BROADWELL = "Intel Xeon E5-2680 v4";
const IVY_BRIDGE = "Intel Xeon E5-2670 v2";
const SKYLAKE = "Intel Xeon Skylake 6133";

// Order: the older families first, as the vendor's DescribeInstanceFamilyConfigs example lists them.
const FAMILIES: readonly FamilyRow[] = [
  {
    family: "S1", nameZh: "标准型S1", nameEn: "Standard S1", generation: "legacy", priceIndex: 0.9,
    cpuType: IVY_BRIDGE, frequency: "2.5GHz", network: "legacy",
    sizes: `${SMALL_TO_4XLARGE} 3XLARGE24 3XLARGE48`,
    zones: foundingZones,
  },
  {
    family: "N1", nameZh: "网络优化型N1", nameEn: "Network-optimized N1", generation: "legacy", priceIndex: 1.0,
    cpuType: IVY_BRIDGE, frequency: "2.5GHz", network: "enhanced",
    sizes: "SMALL1 SMALL2 MEDIUM4 LARGE8 2XLARGE16",
    zones: foundingZones,
  },
  {
    family: "I1", nameZh: "高IO型I1", nameEn: "High IO I1", generation: "legacy", priceIndex: 1.2,
    cpuType: IVY_BRIDGE, frequency: "2.5GHz", network: "legacy",
    sizes: "MEDIUM4 MEDIUM8 LARGE8 LARGE16 2XLARGE16 2XLARGE32 3XLARGE24 3XLARGE48 4XLARGE32 4XLARGE64",
    localDisk: { type: "LOCAL_SSD", blockGiB: 200, cpusPerBlock: 2 },
    zones: foundingZones,
  },
  {
    family: "M1", nameZh: "内存型M1", nameEn: "MEM optimized M1", generation: "legacy", priceIndex: 0.8,
    cpuType: IVY_BRIDGE, frequency: "2.5GHz", network: "legacy",
    sizes: "MEDIUM16 LARGE32 2XLARGE64 3XLARGE96 4XLARGE128",
    zones: foundingZones,
  },
  {
    family: "S2", nameZh: "标准型S2", nameEn: "Standard S2", generation: "legacy", priceIndex: 0.95,
    cpuType: BROADWELL, frequency: "2.4GHz", network: "legacy",
    sizes: `${SMALL_TO_4XLARGE} 4XLARGE48 8XLARGE64`,
  },
  {
    family: "SN2", nameZh: "标准型SN2", nameEn: "Standard network enhanced SN2", generation: "legacy", priceIndex: 1.0,
    cpuType: BROADWELL, frequency: "2.4GHz", network: "enhanced",
    sizes: "SMALL1 SMALL2 SMALL4 MEDIUM4 MEDIUM8 LARGE8 LARGE16 2XLARGE16 2XLARGE32",
    zones: foundingZones,
  },
  {
    family: "I2", nameZh: "高IO型I2", nameEn: "High IO I2", generation: "legacy", priceIndex: 1.2,
    cpuType: BROADWELL, frequency: "2.4GHz", network: "legacy",
    sizes: "MEDIUM4 MEDIUM8 LARGE8 LARGE16 2XLARGE16 2XLARGE32 4XLARGE32 4XLARGE64 8XLARGE64",
    localDisk: { type: "LOCAL_SSD", blockGiB: 400, cpusPerBlock: 4 },
    zones: foundingZones,
  },
  {
    family: "M2", nameZh: "内存型M2", nameEn: "MEM optimized M2", generation: "legacy", priceIndex: 0.8,
    cpuType: BROADWELL, frequency: "2.4GHz", network: "legacy",
    sizes: "MEDIUM16 LARGE32 2XLARGE64 4XLARGE128 8XLARGE256",
    zones: foundingZones,
  },
  {
    family: "C2", nameZh: "计算型C2", nameEn: "Compute C2", generation: "legacy", priceIndex: 1.15,
    cpuType: "Intel Xeon E5-2667 v4", frequency: "3.2GHz", network: "legacy",
    sizes: "MEDIUM4 LARGE8 2XLARGE16 4XLARGE32 8XLARGE64",
    zones: foundingZones,
  },
  {
    family: "CN2", nameZh: "计算型CN2", nameEn: "Compute Network-optimized CN2", generation: "legacy", priceIndex: 1.2,
    cpuType: "Intel Xeon E5-2667 v4", frequency: "3.2GHz", network: "enhanced",
    sizes: "LARGE8 2XLARGE16 4XLARGE32 8XLARGE64",
    zones: foundingZones,
  },
  {
    family: "S3", nameZh: "标准型S3", nameEn: "Standard S3", generation: "legacy", priceIndex: 0.95,
    cpuType: SKYLAKE, frequency: "2.5GHz", network: "modern",
    sizes: `${SMALL_TO_4XLARGE} 8XLARGE64`,
    zones: foundingZones,
  },
  {
    family: "C3", nameZh: "计算型C3", nameEn: "Compute C3", generation: "legacy", priceIndex: 1.15,
    cpuType: "Intel Xeon Skylake 6146", frequency: "3.2GHz", network: "modern",
    sizes: "LARGE8 LARGE16 2XLARGE16 2XLARGE32 4XLARGE32 4XLARGE64 8XLARGE64 8XLARGE128",
    zones: foundingZones,
  },
  {
    family: "FX2", nameZh: "FPGA型FX2", nameEn: "FPGA FX2", generation: "legacy", priceIndex: 1.0,
    cpuType: BROADWELL, frequency: "2.4GHz", network: "modern",
    sizes: "4XLARGE64:1 8XLARGE128:2",
    fpga: { hourPrice: 12 },
    zones: inZones("ap-guangzhou-3", "ap-beijing-3"),
  },
  {
    family: "GN2", nameZh: "GPU计算型GN2", nameEn: "GPU compute GN2", generation: "legacy", priceIndex: 1.0,
    cpuType: BROADWELL, frequency: "2.4GHz", network: "modern",
    sizes: "7XLARGE56:1 14XLARGE112:2",
    gpu: { type: "NVIDIA Tesla M40", memoryGiB: 24, hourPrice: 6 },
    zones: inZones("ap-guangzhou-3", "ap-shanghai-2", "ap-beijing-3"),
  },
  {
    family: "GA2", nameZh: "GPU渲染型GA2", nameEn: "GPU rendering GA2", generation: "legacy", priceIndex: 1.0,
    cpuType: BROADWELL, frequency: "2.4GHz", network: "modern",
    sizes: "2XLARGE16:1 4XLARGE32:1 8XLARGE64:2",
    gpu: { type: "AMD FirePro S7150", memoryGiB: 8, hourPrice: 3 },
    zones: inZones("ap-guangzhou-3", "ap-shanghai-2"),
  },
  {
    family: "GN8", nameZh: "GPU计算型GN8", nameEn: "GPU compute GN8", generation: "legacy", priceIndex: 1.0,
    cpuType: BROADWELL, frequency: "2.4GHz", network: "modern",
    sizes: "LARGE56:1 3XLARGE112:2 7XLARGE224:4",
    gpu: { type: "NVIDIA Tesla P40", memoryGiB: 24, hourPrice: 9 },
    zones: inZones("ap-guangzhou-3", "ap-shanghai-2", "ap-beijing-3"),
  },
  {
    family: "SA1", nameZh: "标准型SA1", nameEn: "Standard SA1", generation: "previous", priceIndex: 0.75,
    cpuType: "AMD EPYC 7551", frequency: "2.0GHz", network: "modern",
    sizes: "SMALL1 SMALL2 SMALL4 MEDIUM4 MEDIUM8 LARGE8 LARGE16 2XLARGE32 4XLARGE64",
  },
  {
    family: "S4", nameZh: "标准型S4", nameEn: "Standard S4", generation: "previous", priceIndex: 0.95,
    cpuType: "Intel Xeon Skylake 6148", frequency: "2.4GHz", network: "modern",
    sizes: `${SMALL_TO_4XLARGE} 8XLARGE64 8XLARGE128`,
  },
  {
    family: "SN3ne", nameZh: "标准网络优化型SN3ne", nameEn: "Standard network optimized SN3ne", generation: "previous", priceIndex: 1.05,
    cpuType: SKYLAKE, frequency: "2.5GHz", network: "enhanced",
    sizes: `${SMALL_TO_4XLARGE} 8XLARGE64`,
  },
  {
    family: "C4", nameZh: "计算型C4", nameEn: "Compute C4", generation: "previous", priceIndex: 1.15,
    cpuType: "Intel Xeon Cascade Lake 6231C", frequency: "3.2GHz/3.8GHz", network: "modern",
    sizes: "LARGE8 2XLARGE16 4XLARGE32 8XLARGE64 12XLARGE96",
  },
  {
    family: "S5", nameZh: "标准型S5", nameEn: "Standard S5", generation: "current", priceIndex: 1.0,
    cpuType: CASCADE_LAKE, frequency: "2.5GHz/3.1GHz", network: "modern",
    sizes: `${SMALL_TO_4XLARGE} 8XLARGE64 8XLARGE128 12XLARGE96 12XLARGE128 16XLARGE256`,
  },
  {
    family: "S6", nameZh: "标准型S6", nameEn: "Standard S6", generation: "current", priceIndex: 1.05,
    cpuType: "Intel Xeon Ice Lake 8374C", frequency: "2.7GHz/3.3GHz", network: "modern",
    sizes: `${SMALL_TO_4XLARGE} 8XLARGE64 8XLARGE128 16XLARGE128 16XLARGE256`,
  },
  {
    family: "SA2", nameZh: "标准型SA2", nameEn: "Standard SA2", generation: "current", priceIndex: 0.85,
    cpuType: "AMD EPYC ROME", frequency: "2.6GHz/3.3GHz", network: "modern",
    sizes: `${SMALL_TO_4XLARGE} 8XLARGE64 8XLARGE128 12XLARGE96 16XLARGE128`,
  },
  {
    family: "SA3", nameZh: "标准型SA3", nameEn: "Standard SA3", generation: "current", priceIndex: 0.9,
    cpuType: "AMD EPYC Milan", frequency: "2.55GHz/3.5GHz", network: "modern",
    sizes: "MEDIUM4 MEDIUM8 LARGE8 LARGE16 2XLARGE16 2XLARGE32 4XLARGE32 4XLARGE64 8XLARGE64 8XLARGE128 16XLARGE256",
  },
  {
    family: "SA5", nameZh: "标准型SA5", nameEn: "Standard SA5", generation: "current", priceIndex: 0.8,
    cpuType: "AMD EPYC Bergamo", frequency: "2.2GHz/3.1GHz", network: "modern",
    sizes: `${SMALL_TO_4XLARGE} 8XLARGE64 8XLARGE128 16XLARGE128 16XLARGE256`,
  },
  {
    family: "M5", nameZh: "内存型M5", nameEn: "MEM optimized M5", generation: "current", priceIndex: 0.75,
    cpuType: CASCADE_LAKE, frequency: "2.5GHz/3.1GHz", network: "modern",
    sizes: "SMALL8 MEDIUM16 LARGE32 2XLARGE64 3XLARGE96 4XLARGE128 6XLARGE192 8XLARGE256 16XLARGE512",
  },
  {
    family: "C5", nameZh: "计算型C5", nameEn: "Compute C5", generation: "current", priceIndex: 1.2,
    cpuType: "Intel Xeon Cascade Lake 6231C", frequency: "3.4GHz/3.9GHz", network: "modern",
    sizes: "LARGE8 2XLARGE16 4XLARGE32 8XLARGE64 16XLARGE128",
  },
  {
    family: "IT5", nameZh: "高IO型IT5", nameEn: "High IO IT5", generation: "current", priceIndex: 1.3,
    cpuType: CASCADE_LAKE, frequency: "2.5GHz/3.1GHz", network: "modern",
    sizes: "4XLARGE64 8XLARGE128 16XLARGE256",
    localDisk: { type: "LOCAL_NVME", blockGiB: 3570, cpusPerBlock: 16 },
  },
  {
    family: "SR1", nameZh: "标准型SR1", nameEn: "Standard SR1", generation: "current", priceIndex: 0.7,
    cpuType: "Ampere Altra", frequency: "2.8GHz", architecture: "arm", network: "modern",
    sizes: "MEDIUM4 LARGE8 2XLARGE16 4XLARGE32 8XLARGE64 16XLARGE128",
    zones: inZones("ap-guangzhou-6", "ap-guangzhou-7", "ap-shanghai-5", "ap-beijing-6", "ap-beijing-7", "ap-nanjing-1"),
  },
  {
    family: "GN7", nameZh: "GPU计算型GN7", nameEn: "GPU compute GN7", generation: "current", priceIndex: 1.0,
    cpuType: CASCADE_LAKE, frequency: "2.5GHz/3.1GHz", network: "modern",
    sizes: "2XLARGE32:1 5XLARGE80:1 8XLARGE128:1 10XLARGE160:2 20XLARGE320:4",
    gpu: { type: "NVIDIA T4", memoryGiB: 16, hourPrice: 4.5 },
    zones: inZones(
      ...["ap-guangzhou-3", "ap-guangzhou-4", "ap-guangzhou-6", "ap-shanghai-2", "ap-shanghai-4", "ap-beijing-5", "ap-beijing-6"],
      ...["ap-nanjing-1", "ap-chengdu-1", "ap-hongkong-2", "ap-singapore-3"],
    ),
  },
  {
    family: "GN10X", nameZh: "GPU计算型GN10X", nameEn: "GPU compute GN10X", generation: "current", priceIndex: 1.0,
    cpuType: SKYLAKE, frequency: "2.5GHz", network: "modern",
    sizes: "2XLARGE40:1 4XLARGE80:2 9XLARGE160:4 18XLARGE320:8",
    gpu: { type: "NVIDIA V100", memoryGiB: 32, hourPrice: 13 },
    zones: inZones("ap-guangzhou-3", "ap-shanghai-4", "ap-beijing-5", "ap-beijing-7"),
  },
];

export const INSTANCE_FAMILIES: readonly InstanceFamily[] = FAMILIES.map(({ family, nameZh, nameEn }) => ({ family, nameZh, nameEn }));

export function familyName(family: InstanceFamily, language: Language): string {
  return language === "zh-CN" ? family.nameZh : family.nameEn;
}

export function findFamily(family: string): InstanceFamily | undefined {
  return INSTANCE_FAMILIES.find((f) => f.family === family);
}

const SIZE_RE = /^(SMALL|MEDIUM|LARGE|(\d+)XLARGE)(\d+)(?::(\d+))?$/;

/** vCPUs of a size word: SMALL 1, MEDIUM 2, LARGE 4, nXLARGE 4n. */
function cpusOfSize(word: string, xlarge: string | undefined): number {
  if (xlarge !== undefined) return 4 * Number(xlarge);
  return { SMALL: 1, MEDIUM: 2, LARGE: 4 }[word as "SMALL" | "MEDIUM" | "LARGE"];
}

function clamp(value: number, [low, high]: [number, number]): number {
  return Math.min(high, Math.max(low, value));
}

const round2 = (n: number): number => Math.round(n * 100) / 100;

/** One size of a family row ("MEDIUM4", "2XLARGE32:1") as a full specification. */
function specOf(row: FamilyRow, size: string): InstanceTypeSpec {
  const m = SIZE_RE.exec(size);
  if (!m) throw new Error(`bad size ${size} in family ${row.family}`);
  const cpu = cpusOfSize(m[1]!, m[2]);
  const memory = Number(m[3]);
  const accelerators = Number(m[4] ?? 0);
  const gpus = row.gpu ? accelerators : 0;
  const fpgas = row.fpga ? accelerators : 0;
  const net = NETWORK[row.network];
  const hourly = (cpu * CPU_HOUR_PRICE + memory * GIB_HOUR_PRICE) * row.priceIndex + gpus * (row.gpu?.hourPrice ?? 0) + fpgas * (row.fpga?.hourPrice ?? 0);
  return {
    instanceType: `${row.family}.${size.split(":")[0]}`,
    family: row.family,
    cpu,
    memory,
    gpu: gpus,
    gpuCount: gpus,
    ...(row.gpu ? { gpuType: row.gpu.type, gpuMemory: row.gpu.memoryGiB } : {}),
    fpga: fpgas,
    architecture: row.architecture ?? "x86_64",
    chargeTypes: GENERATIONS[row.generation].chargeTypes,
    cpuType: row.cpuType,
    frequency: row.frequency,
    bandwidthGbps: Math.round(clamp(cpu * net.gbpsPerCpu, net.gbps) * 10) / 10,
    pps: Math.round(clamp(cpu * net.ppsPerCpu, net.pps)),
    networkCard: net.card,
    ...(row.localDisk
      ? { localDisk: { type: row.localDisk.type, blockGiB: row.localDisk.blockGiB, blocks: Math.max(1, Math.floor(cpu / row.localDisk.cpusPerBlock)) } }
      : {}),
    price: prices(hourly),
  };
}

function prices(hourly: number): Prices {
  const monthly = hourly * HOURS_PER_PREPAID_MONTH;
  const term = (months: number, discount: number): PrepaidTerm => ({
    original: round2(monthly * months),
    discounted: round2((monthly * months * discount) / 100),
    discount,
  });
  return {
    hourly: round2(hourly),
    spotHourly: Math.max(0.01, round2(hourly * SPOT_PRICE_SHARE)),
    monthly: round2(monthly),
    oneYear: term(12, TERM_DISCOUNTS.oneYear),
    threeYears: term(36, TERM_DISCOUNTS.threeYears),
    fiveYears: term(60, TERM_DISCOUNTS.fiveYears),
  };
}

/** A family's types, smallest first. */
function specsOf(row: FamilyRow): InstanceTypeSpec[] {
  return row.sizes
    .split(" ")
    .map((size) => specOf(row, size))
    .sort((a, b) => a.cpu - b.cpu || a.memory - b.memory);
}

const SPECS: ReadonlyMap<string, InstanceTypeSpec> = new Map(FAMILIES.flatMap(specsOf).map((s) => [s.instanceType, s]));
const ROW_OF_FAMILY: ReadonlyMap<string, FamilyRow> = new Map(FAMILIES.map((f) => [f.family, f]));

/** `<Family>.<Size>`, e.g. S5.MEDIUM4 or SN3ne.LARGE8; a name of another form is malformed, not merely unknown. */
export const INSTANCE_TYPE_RE = /^[A-Za-z][A-Za-z0-9]*\.[A-Z0-9]+$/;

/** The type's specification, the same in every zone; undefined for a type the catalog does not know. */
export function findInstanceType(instanceType: string): InstanceTypeSpec | undefined {
  return SPECS.get(instanceType);
}

/** FNV-1a: a small stable hash, so that "which sizes are sold out where" is the same on every run. */
function stableHash(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

function saleStatus(zone: string, spec: InstanceTypeSpec, generation: Generation): SaleStatus {
  if (STILL_SELLING[spec.instanceType]?.includes(zone)) return "SELL";
  const rules = GENERATIONS[generation];
  if (spec.cpu <= rules.alwaysSellUpToCpu) return "SELL";
  return stableHash(`${zone}/${spec.instanceType}`) % 100 < rules.soldOutPercent ? "SOLD_OUT" : "SELL";
}

function stockCategory(zone: string, spec: InstanceTypeSpec, status: SaleStatus): StockCategory {
  if (status === "SOLD_OUT") return "WithoutStock";
  const roll = stableHash(`stock/${zone}/${spec.instanceType}`) % 100;
  return roll < 60 ? "EnoughStock" : roll < 90 ? "NormalStock" : "UnderStock";
}

function regionOfZone(zone: string): string {
  return zone.replace(/-\d+$/, "");
}

const offersByZone = new Map<string, readonly ZoneOffer[]>();

/** Everything a zone sells, one offer per type and charge type. Unknown and sold-out (UNAVAILABLE) zones sell nothing. */
export function offersInZone(zoneName: string): readonly ZoneOffer[] {
  const known = offersByZone.get(zoneName);
  if (known) return known;
  const zone = findZone(regionOfZone(zoneName), zoneName);
  const offers: ZoneOffer[] = [];
  if (zone?.available) {
    for (const spec of SPECS.values()) {
      const row = ROW_OF_FAMILY.get(spec.family)!;
      if (row.zones && !row.zones(zone)) continue;
      const status = saleStatus(zoneName, spec, row.generation);
      const stock = stockCategory(zoneName, spec, status);
      for (const chargeType of spec.chargeTypes) offers.push({ zone: zoneName, spec, chargeType, status, stockCategory: stock });
    }
  }
  offersByZone.set(zoneName, offers);
  return offers;
}

/** The offers of one type in one zone (one per charge type); empty when the zone does not carry the type. */
export function zoneOffers(zone: string, instanceType: string): readonly ZoneOffer[] {
  return offersInZone(zone).filter((o) => o.spec.instanceType === instanceType);
}
