// The catalog actions: instance families, the types each zone sells, and images. All are answered from
// catalog data; nothing here is stored per account except, later, private images (see imagesVisibleTo).
import type * as M from "tencentcloud-sdk-nodejs-cvm/tencentcloud/services/cvm/v20170312/cvm_models.js";
import type { ActionContext, TypedHandler } from "../../../gateway/product.js";
import { apiError } from "../../../protocol/errors.js";
import { atMostText, malformedIdText } from "../../../protocol/messages.js";
import { applyFilters, checkFilters, fuzzy, type Filter, type FilterAccessor, type FilterSpec } from "../filters.js";
import { readPage } from "../paging.js";
import { IMAGE_ID_RE, publicImages, type ImageRecord } from "./images.js";
import {
  INSTANCE_FAMILIES,
  INSTANCE_TYPE_RE,
  familyName,
  findFamily,
  findInstanceType,
  offersInZone,
  type InstanceTypeSpec,
  type ZoneOffer,
} from "./instance-types.js";
import { CATALOG, findZone } from "./regions.js";

// ---------------------------------------------------------------------------------------------------------
// Instance types

/** Everything the request's region sells, zone by zone. */
function regionOffers(region: string): ZoneOffer[] {
  return (CATALOG.get(region)?.zones ?? []).flatMap((z) => offersInZone(z.zone));
}

const OFFER_ACCESSORS: Record<string, FilterAccessor<ZoneOffer>> = {
  zone: (o) => o.zone,
  "instance-family": (o) => o.spec.family,
  "instance-type": (o) => o.spec.instanceType,
  "instance-charge-type": (o) => o.chargeType,
};

function checkInstanceTypeName(name: string, where: string): void {
  if (!INSTANCE_TYPE_RE.test(name)) {
    throw apiError("InvalidInstanceType.Malformed", {
      en: `The instance type \`${name.slice(0, 64)}\` in \`${where}\` is malformed: it looks like S5.MEDIUM4.`,
      zh: `参数\`${where}\`中的实例机型\`${name.slice(0, 64)}\`格式错误，应形如 S5.MEDIUM4。`,
    });
  }
}

/** Zone filter values must name zones of the request's region, and instance types must be well formed. */
function checkOfferFilterValues(ctx: ActionContext, filters: readonly Filter[] | undefined): void {
  filters?.forEach((filter, i) =>
    filter.Values.forEach((value, j) => {
      const where = `Filters.${i}.Values.${j}`;
      if (filter.Name === "zone") {
        const zone = findZone(ctx.region, value);
        if (!zone) {
          throw apiError("InvalidZone.MismatchRegion", {
            en: `The zone \`${value.slice(0, 64)}\` in \`${where}\` is not a zone of region ${ctx.region}; DescribeZones lists the region's zones.`,
            zh: `参数\`${where}\`中的可用区\`${value.slice(0, 64)}\`不属于地域 ${ctx.region}，可通过 DescribeZones 查询该地域的可用区。`,
          });
        }
        if (!zone.available) {
          throw apiError("ResourceInsufficient.AvailabilityZoneSoldOut", {
            en: `The zone \`${value}\` in \`${where}\` is sold out; choose another zone of region ${ctx.region}.`,
            zh: `参数\`${where}\`中的可用区\`${value}\`已售罄，请选择地域 ${ctx.region} 的其他可用区。`,
          });
        }
      }
      if (filter.Name === "instance-type") checkInstanceTypeName(value, where);
    }),
  );
}

const SORT_KEY_RE = /^(cpu|mem):(asc|desc)$/;

/** `sort-keys` values ("cpu:desc", "mem:asc") as one comparison, the first key deciding first. */
function sortOrder(filters: readonly Filter[] | undefined): (a: ZoneOffer, b: ZoneOffer) => number {
  const keys: { field: "cpu" | "memory"; sign: number }[] = [];
  filters?.forEach((filter, i) => {
    if (filter.Name !== "sort-keys") return;
    filter.Values.forEach((value, j) => {
      const m = SORT_KEY_RE.exec(value);
      if (!m) {
        throw apiError("InvalidParameterValue", {
          en: `The sort key \`${value.slice(0, 64)}\` in \`Filters.${i}.Values.${j}\` is invalid: it is cpu or mem, a colon, and asc or desc (e.g. cpu:desc).`,
          zh: `参数\`Filters.${i}.Values.${j}\`中的排序字段\`${value.slice(0, 64)}\`取值错误，应为 cpu 或 mem、冒号、asc 或 desc（例如 cpu:desc）。`,
        });
      }
      keys.push({ field: m[1] === "cpu" ? "cpu" : "memory", sign: m[2] === "asc" ? 1 : -1 });
    });
  });
  return (a, b) => {
    for (const { field, sign } of keys) {
      const diff = a.spec[field] - b.spec[field];
      if (diff !== 0) return sign * diff;
    }
    return 0;
  };
}

/** Every ItemPrice field the real answer fills: the hourly prices of pay-as-you-go and the prepaid terms. */
function itemPrice(offer: ZoneOffer): M.ItemPrice {
  const { hourly, spotHourly, monthly, oneYear, threeYears, fiveYears } = offer.spec.price;
  const unit = offer.chargeType === "SPOTPAID" ? spotHourly : hourly;
  return {
    UnitPrice: unit,
    ChargeUnit: "HOUR",
    UnitPriceDiscount: unit,
    UnitPriceSecondStep: unit,
    UnitPriceDiscountSecondStep: unit,
    UnitPriceThirdStep: unit,
    UnitPriceDiscountThirdStep: unit,
    OriginalPrice: monthly,
    DiscountPrice: monthly,
    Discount: 100,
    OriginalPriceOneYear: oneYear.original,
    DiscountPriceOneYear: oneYear.discounted,
    DiscountOneYear: oneYear.discount,
    OriginalPriceThreeYear: threeYears.original,
    DiscountPriceThreeYear: threeYears.discounted,
    DiscountThreeYear: threeYears.discount,
    OriginalPriceFiveYear: fiveYears.original,
    DiscountPriceFiveYear: fiveYears.discounted,
    DiscountFiveYear: fiveYears.discount,
  };
}

function localDiskTypes(spec: InstanceTypeSpec): M.LocalDiskType[] {
  if (!spec.localDisk) return [];
  const { type, blockGiB } = spec.localDisk;
  return [{ Type: type, PartitionType: "DATA", MinSize: blockGiB, MaxSize: blockGiB, Required: "REQUIRED" }];
}

function quotaItem(offer: ZoneOffer, ctx: ActionContext): M.InstanceTypeQuotaItem {
  const { spec } = offer;
  const family = findFamily(spec.family)!;
  return {
    Zone: offer.zone,
    InstanceType: spec.instanceType,
    InstanceChargeType: offer.chargeType,
    NetworkCard: spec.networkCard,
    Externals: {},
    Cpu: spec.cpu,
    Memory: spec.memory,
    InstanceFamily: spec.family,
    TypeName: familyName(family, ctx.language),
    LocalDiskTypeList: localDiskTypes(spec),
    Status: offer.status,
    Price: itemPrice(offer),
    SoldOutReason: "",
    InstanceBandwidth: spec.bandwidthGbps,
    InstancePps: spec.pps,
    StorageBlockAmount: spec.localDisk?.blocks ?? 0,
    CpuType: spec.cpuType,
    Gpu: spec.gpu,
    Fpga: spec.fpga,
    Remark: "",
    GpuCount: spec.gpuCount,
    Frequency: spec.frequency,
    StatusCategory: offer.stockCategory,
  };
}

const ZONE_CONFIG_FILTERS: FilterSpec = {
  names: ["zone", "instance-family", "instance-type", "instance-charge-type", "sort-keys"],
  // The action documents 100 values per filter, not the usual 5.
  maxValues: 100,
};

export const describeZoneInstanceConfigInfos: TypedHandler<M.DescribeZoneInstanceConfigInfosRequest, M.DescribeZoneInstanceConfigInfosResponse> = (ctx, req) => {
  checkFilters(req.Filters, ZONE_CONFIG_FILTERS);
  checkOfferFilterValues(ctx, req.Filters);
  const order = sortOrder(req.Filters);
  const selection = req.Filters?.filter((f) => f.Name !== "sort-keys");
  const offers = applyFilters(regionOffers(ctx.region), selection, OFFER_ACCESSORS).sort(order);
  return { InstanceTypeQuotaSet: offers.map((o) => quotaItem(o, ctx)) };
};

const TYPE_CONFIG_FILTERS: FilterSpec = {
  names: ["zone", "instance-family", "instance-type"],
  // One value per filter, as the action documents.
  maxValues: 1,
};

export const describeInstanceTypeConfigs: TypedHandler<M.DescribeInstanceTypeConfigsRequest, M.DescribeInstanceTypeConfigsResponse> = (ctx, req) => {
  checkFilters(req.Filters, TYPE_CONFIG_FILTERS);
  checkOfferFilterValues(ctx, req.Filters);
  const seen = new Set<string>();
  const configs: M.InstanceTypeConfig[] = [];
  for (const { zone, spec } of applyFilters(regionOffers(ctx.region), req.Filters, OFFER_ACCESSORS)) {
    // Offers come one per charge type; the configuration is one per zone and type.
    const key = `${zone}/${spec.instanceType}`;
    if (seen.has(key)) continue;
    seen.add(key);
    configs.push({
      Zone: zone,
      InstanceType: spec.instanceType,
      InstanceFamily: spec.family,
      GPU: spec.gpu,
      CPU: spec.cpu,
      Memory: spec.memory,
      FPGA: spec.fpga,
      GpuCount: spec.gpuCount,
      ...(spec.gpuType !== undefined ? { GpuType: spec.gpuType, GpuMemory: spec.gpuMemory } : {}),
    });
  }
  return { InstanceTypeConfigSet: configs };
};

export const describeInstanceFamilyConfigs: TypedHandler<M.DescribeInstanceFamilyConfigsRequest, M.DescribeInstanceFamilyConfigsResponse> = (ctx) => {
  const sold = new Set(regionOffers(ctx.region).map((o) => o.spec.family));
  return {
    InstanceFamilyConfigSet: INSTANCE_FAMILIES.filter((f) => sold.has(f.family)).map((f) => ({
      InstanceFamilyName: familyName(f, ctx.language),
      InstanceFamily: f.family,
    })),
  };
};

// ---------------------------------------------------------------------------------------------------------
// Images

/** The images a request may see in its region. */
export function imagesVisibleTo(_ctx: ActionContext): readonly ImageRecord[] {
  // Private and shared images will be added here when CreateImage/ImportImage exist.
  return publicImages();
}

const IMAGE_FILTERS: FilterSpec = {
  names: ["image-id", "image-type", "image-name", "platform", "tag-key", "tag-value", "dedicated-cluster-id", "cdc-cache-status"],
  allowTagKey: true,
};

const IMAGE_ACCESSORS: Record<string, FilterAccessor<ImageRecord>> = {
  "image-id": (i) => i.ImageId,
  "image-type": (i) => i.ImageType,
  "image-name": fuzzy((i) => i.ImageName),
  platform: fuzzy((i) => i.Platform),
  // tclocal has no dedicated clusters (CDC), so no image is cached in one.
  "dedicated-cluster-id": () => undefined,
  "cdc-cache-status": (i) => (i.CdcCacheStatus === undefined ? undefined : [i.CdcCacheStatus, "CACHED_ALL"]),
};

const MAX_IMAGE_IDS = 100;

function checkImageIds(ids: readonly string[], where: (index: number) => string): void {
  ids.forEach((id, i) => {
    if (!IMAGE_ID_RE.test(id)) {
      throw apiError("InvalidImageId.Malformed", malformedIdText({ en: "image id", zh: "镜像 ID" }, id, where(i), "img"));
    }
  });
}

/** The architecture of the images an instance type can run. */
function architectureOf(instanceType: string): string {
  checkInstanceTypeName(instanceType, "InstanceType");
  const spec = findInstanceType(instanceType);
  if (!spec) {
    throw apiError("InvalidParameterValue.InstanceTypeNotFound", {
      en: `The instance type \`${instanceType.slice(0, 64)}\` in \`InstanceType\` does not exist; DescribeInstanceTypeConfigs lists the instance types.`,
      zh: `参数\`InstanceType\`中的实例机型\`${instanceType.slice(0, 64)}\`不存在，可通过 DescribeInstanceTypeConfigs 查询支持的机型。`,
    });
  }
  return spec.architecture;
}

/** The image as the API shows it: the record without what only instances use. */
function toApiImage(record: ImageRecord): M.Image {
  const { osType: _osType, defaultLoginUser: _user, defaultLoginPort: _port, ...image } = record;
  return image;
}

/** Newest first, then by id, so that pages are stable. */
function newestFirst(a: ImageRecord, b: ImageRecord): number {
  return b.CreatedTime.localeCompare(a.CreatedTime) || a.ImageId.localeCompare(b.ImageId);
}

export const describeImages: TypedHandler<M.DescribeImagesRequest, M.DescribeImagesResponse> = (ctx, req) => {
  const ids = req.ImageIds ?? [];
  if (ids.length > 0 && (req.Filters?.length ?? 0) > 0) {
    throw apiError("InvalidParameter.InvalidParameterCoexistImageIdsFilters", {
      en: "The parameters `ImageIds` and `Filters` cannot be given together: give one or the other.",
      zh: "参数`ImageIds`和`Filters`不能同时指定，请只指定其中一个。",
    });
  }
  if (ids.length > MAX_IMAGE_IDS) {
    throw apiError("InvalidParameterValue.LimitExceeded", atMostText("ImageIds", MAX_IMAGE_IDS, ids.length, { en: "image ids", zh: "镜像 ID", unit: "个" }));
  }
  checkImageIds(ids, (i) => `ImageIds.${i}`);
  checkFilters(req.Filters, IMAGE_FILTERS);
  req.Filters?.forEach((f, i) => {
    if (f.Name === "image-id") checkImageIds(f.Values, (j) => `Filters.${i}.Values.${j}`);
  });
  const page = readPage(req);

  let images = imagesVisibleTo(ctx);
  if (req.InstanceType !== undefined) {
    const architecture = architectureOf(req.InstanceType);
    images = images.filter((i) => i.Architecture === architecture);
  }
  if (ids.length > 0) {
    const wanted = new Set(ids);
    images = images.filter((i) => wanted.has(i.ImageId));
  }
  const matching = applyFilters(images, req.Filters, IMAGE_ACCESSORS, (i) => i.Tags).sort(newestFirst);
  return {
    TotalCount: matching.length,
    ImageSet: matching.slice(page.offset, page.offset + page.limit).map(toApiImage),
  };
};
