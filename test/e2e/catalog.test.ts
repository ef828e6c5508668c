// The catalog actions through the official SDK: DescribeZoneInstanceConfigInfos, DescribeInstanceTypeConfigs,
// DescribeInstanceFamilyConfigs and DescribeImages.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cvmClient, sdkError, startTestServer, type CvmClientType, type TestServer } from "../helpers/server.js";

let server: TestServer;
let gz: CvmClientType;
let gzZh: CvmClientType;

beforeAll(async () => {
  server = await startTestServer();
  gz = cvmClient(server, { region: "ap-guangzhou" });
  gzZh = cvmClient(server, { region: "ap-guangzhou", language: "zh-CN" });
});
afterAll(() => server.close());

type Filters = { Name: string; Values: string[] }[];

/** Paths of every null inside a value: the real answers fill these fields. */
function nullPaths(value: unknown, path = "$"): string[] {
  if (value === null) return [path];
  if (Array.isArray(value)) return value.flatMap((v, i) => nullPaths(v, `${path}[${i}]`));
  if (typeof value === "object") return Object.entries(value as object).flatMap(([k, v]) => nullPaths(v, `${path}.${k}`));
  return [];
}

async function expectCode(call: Promise<unknown>, code: string): Promise<string> {
  const error = await sdkError(call);
  expect(error.code).toBe(code);
  return error.message;
}

describe("DescribeZoneInstanceConfigInfos", () => {
  const quota = (client: CvmClientType, filters: Filters) => client.DescribeZoneInstanceConfigInfos({ Filters: filters });

  it("describes S5.MEDIUM4 in ap-guangzhou-3 with every field filled", async () => {
    const r = await quota(gz, [
      { Name: "zone", Values: ["ap-guangzhou-3"] },
      { Name: "instance-type", Values: ["S5.MEDIUM4"] },
      { Name: "instance-charge-type", Values: ["POSTPAID_BY_HOUR"] },
    ]);
    expect(r.InstanceTypeQuotaSet).toHaveLength(1);
    const item = r.InstanceTypeQuotaSet![0]!;
    expect(item).toMatchObject({
      Zone: "ap-guangzhou-3",
      InstanceType: "S5.MEDIUM4",
      InstanceChargeType: "POSTPAID_BY_HOUR",
      InstanceFamily: "S5",
      TypeName: "Standard S5",
      Cpu: 2,
      Memory: 4,
      Gpu: 0,
      GpuCount: 0,
      Fpga: 0,
      Status: "SELL",
      CpuType: "Intel Xeon Cascade Lake 8255C",
      Frequency: "2.5GHz/3.1GHz",
      LocalDiskTypeList: [],
      Externals: {},
      SoldOutReason: "",
      Remark: "",
      StorageBlockAmount: 0,
    });
    expect(["EnoughStock", "NormalStock", "UnderStock"]).toContain(item.StatusCategory);
    expect(item.InstanceBandwidth).toBeGreaterThan(0);
    expect(item.InstancePps).toBeGreaterThan(0);
    expect(item.Price).toMatchObject({ ChargeUnit: "HOUR", Discount: 100 });
    expect(item.Price!.UnitPrice).toBeGreaterThan(0);
    expect(item.Price!.OriginalPrice).toBeGreaterThan(item.Price!.UnitPrice!);
    expect(item.Price!.DiscountPriceOneYear).toBeLessThan(item.Price!.OriginalPriceOneYear!);
    expect(nullPaths(r)).toEqual([]);
  });

  it("offers the types real Terraform and SDK examples ask for in every zone they use", async () => {
    const wanted = ["S5.MEDIUM2", "S5.MEDIUM4", "S5.LARGE8", "SA2.MEDIUM2", "SA2.MEDIUM4", "S6.MEDIUM4", "S2.SMALL1"];
    const zonesByRegion: Record<string, string[]> = {
      "ap-guangzhou": ["ap-guangzhou-3", "ap-guangzhou-6", "ap-guangzhou-7"],
      "ap-shanghai": ["ap-shanghai-2", "ap-shanghai-3", "ap-shanghai-4", "ap-shanghai-5"],
      "ap-beijing": ["ap-beijing-3", "ap-beijing-4", "ap-beijing-5", "ap-beijing-6", "ap-beijing-7"],
    };
    for (const [region, zones] of Object.entries(zonesByRegion)) {
      const r = await quota(cvmClient(server, { region }), [
        { Name: "zone", Values: zones },
        { Name: "instance-type", Values: wanted },
        { Name: "instance-charge-type", Values: ["POSTPAID_BY_HOUR"] },
      ]);
      for (const zone of zones) {
        const inZone = r.InstanceTypeQuotaSet!.filter((i) => i.Zone === zone);
        expect(inZone.map((i) => i.InstanceType).sort(), zone).toEqual([...wanted].sort());
        // The current types sell everywhere; S2.SMALL1 is a legacy type that may be sold out.
        expect(inZone.filter((i) => i.InstanceType !== "S2.SMALL1").every((i) => i.Status === "SELL"), zone).toBe(true);
      }
    }
  });

  it("still sells the legacy S2.SMALL1 in ap-guangzhou-3 and marks sold-out items WithoutStock", async () => {
    const r = await quota(gz, [
      { Name: "zone", Values: ["ap-guangzhou-3"] },
      { Name: "instance-family", Values: ["S2"] },
    ]);
    const small = r.InstanceTypeQuotaSet!.filter((i) => i.InstanceType === "S2.SMALL1");
    expect(small.map((i) => i.InstanceChargeType).sort()).toEqual(["POSTPAID_BY_HOUR", "PREPAID"]);
    expect(small.every((i) => i.Status === "SELL" && i.CpuType === "Intel Xeon E5-2680 v4" && i.Cpu === 1 && i.Memory === 1)).toBe(true);
    const soldOut = r.InstanceTypeQuotaSet!.filter((i) => i.Status === "SOLD_OUT");
    expect(soldOut.length).toBeGreaterThan(0);
    expect(soldOut.every((i) => i.StatusCategory === "WithoutStock")).toBe(true);
  });

  it("answers for every available zone of the region without filters, and for no sold-out zone", async () => {
    const r = await gz.DescribeZoneInstanceConfigInfos({});
    const zones = new Set(r.InstanceTypeQuotaSet!.map((i) => i.Zone));
    expect([...zones].sort()).toEqual(["ap-guangzhou-3", "ap-guangzhou-4", "ap-guangzhou-6", "ap-guangzhou-7"]);
  });

  it("filters by zone, family, type and charge type, ORing values", async () => {
    const byZone = await quota(gz, [{ Name: "zone", Values: ["ap-guangzhou-6", "ap-guangzhou-7"] }]);
    expect(new Set(byZone.InstanceTypeQuotaSet!.map((i) => i.Zone))).toEqual(new Set(["ap-guangzhou-6", "ap-guangzhou-7"]));

    const byFamily = await quota(gz, [{ Name: "instance-family", Values: ["SA2", "S6"] }]);
    expect(new Set(byFamily.InstanceTypeQuotaSet!.map((i) => i.InstanceFamily))).toEqual(new Set(["SA2", "S6"]));

    const byType = await quota(gz, [{ Name: "instance-type", Values: ["SA2.MEDIUM2"] }]);
    expect(new Set(byType.InstanceTypeQuotaSet!.map((i) => i.InstanceType))).toEqual(new Set(["SA2.MEDIUM2"]));
    expect(byType.InstanceTypeQuotaSet![0]).toMatchObject({ Cpu: 2, Memory: 2, TypeName: "Standard SA2" });

    const spot = await quota(gz, [
      { Name: "instance-charge-type", Values: ["SPOTPAID"] },
      { Name: "zone", Values: ["ap-guangzhou-3"] },
    ]);
    const spotItems = spot.InstanceTypeQuotaSet!;
    expect(spotItems.length).toBeGreaterThan(0);
    expect(spotItems.every((i) => i.InstanceChargeType === "SPOTPAID")).toBe(true);
    // Legacy families are not sold as spot instances.
    expect(spotItems.some((i) => i.InstanceFamily === "S2")).toBe(false);
    const hourly = await quota(gz, [
      { Name: "zone", Values: ["ap-guangzhou-3"] },
      { Name: "instance-type", Values: ["S5.MEDIUM4"] },
      { Name: "instance-charge-type", Values: ["POSTPAID_BY_HOUR"] },
    ]);
    const spotS5 = spotItems.find((i) => i.InstanceType === "S5.MEDIUM4")!;
    expect(spotS5.Price!.UnitPrice).toBeLessThan(hourly.InstanceTypeQuotaSet![0]!.Price!.UnitPrice!);

    const none = await quota(gz, [{ Name: "instance-charge-type", Values: ["CDHPAID"] }]);
    expect(none.InstanceTypeQuotaSet).toEqual([]);
  });

  it("sorts by sort-keys", async () => {
    const zoneS5 = [
      { Name: "zone", Values: ["ap-guangzhou-3"] },
      { Name: "instance-family", Values: ["S5"] },
      { Name: "instance-charge-type", Values: ["PREPAID"] },
    ];
    const byCpuDesc = await quota(gz, [...zoneS5, { Name: "sort-keys", Values: ["cpu:desc"] }]);
    const cpus = byCpuDesc.InstanceTypeQuotaSet!.map((i) => i.Cpu!);
    expect(cpus).toEqual([...cpus].sort((a, b) => b - a));
    expect(cpus[0]).toBe(64);

    const byMemThenCpu = await quota(gz, [...zoneS5, { Name: "sort-keys", Values: ["mem:asc", "cpu:desc"] }]);
    const pairs = byMemThenCpu.InstanceTypeQuotaSet!.map((i) => [i.Memory!, i.Cpu!] as const);
    expect(pairs[0]).toEqual([1, 1]);
    for (let i = 1; i < pairs.length; i++) {
      const [m0, c0] = pairs[i - 1]!;
      const [m1, c1] = pairs[i]!;
      expect(m0 < m1 || (m0 === m1 && c0 >= c1)).toBe(true);
    }
  });

  it("names the family in the request's language", async () => {
    const filters = [
      { Name: "zone", Values: ["ap-guangzhou-3"] },
      { Name: "instance-type", Values: ["S5.MEDIUM4"] },
    ];
    expect((await quota(gzZh, filters)).InstanceTypeQuotaSet![0]!.TypeName).toBe("标准型S5");
    expect((await quota(cvmClient(server, { language: "en-US" }), filters)).InstanceTypeQuotaSet![0]!.TypeName).toBe("Standard S5");
  });

  it("describes GPU and local-disk types", async () => {
    const gpu = await quota(gz, [
      { Name: "zone", Values: ["ap-guangzhou-3"] },
      { Name: "instance-type", Values: ["GN7.20XLARGE320"] },
    ]);
    expect(gpu.InstanceTypeQuotaSet![0]).toMatchObject({ Cpu: 80, Memory: 320, Gpu: 4, GpuCount: 4, InstanceFamily: "GN7" });

    const disk = await quota(gz, [
      { Name: "zone", Values: ["ap-guangzhou-3"] },
      { Name: "instance-type", Values: ["IT5.8XLARGE128"] },
    ]);
    expect(disk.InstanceTypeQuotaSet![0]).toMatchObject({
      StorageBlockAmount: 2,
      LocalDiskTypeList: [{ Type: "LOCAL_NVME", PartitionType: "DATA", MinSize: 3570, MaxSize: 3570, Required: "REQUIRED" }],
    });
  });

  it("sells GPU families only in some zones", async () => {
    const r = await cvmClient(server, { region: "sa-saopaulo" }).DescribeZoneInstanceConfigInfos({});
    expect(r.InstanceTypeQuotaSet!.length).toBeGreaterThan(0);
    expect(r.InstanceTypeQuotaSet!.some((i) => i.Gpu! > 0)).toBe(false);
  });

  it("accepts 100 values in one filter and rejects 101", async () => {
    const values = (n: number) => Array.from({ length: n }, (_, i) => `S5.SIZE${i}`);
    await expect(quota(gz, [{ Name: "instance-type", Values: values(100) }])).resolves.toMatchObject({ InstanceTypeQuotaSet: [] });
    const message = await expectCode(quota(gz, [{ Name: "instance-type", Values: values(101) }]), "InvalidFilterValue.LimitExceeded");
    expect(message).toContain("Filters.0.Values");
  });

  it("rejects an unknown filter, too many filters, a foreign or sold-out zone, a bad sort key and a malformed type", async () => {
    const message = await expectCode(quota(gz, [{ Name: "instance-state", Values: ["RUNNING"] }]), "InvalidFilter");
    expect(message).toContain("Filters.0.Name");
    const eleven = Array.from({ length: 11 }, () => ({ Name: "zone", Values: ["ap-guangzhou-3"] }));
    await expectCode(quota(gz, eleven), "InvalidParameterValue.LimitExceeded");
    await expectCode(quota(gz, [{ Name: "zone", Values: ["ap-shanghai-2"] }]), "InvalidZone.MismatchRegion");
    await expectCode(quota(gz, [{ Name: "zone", Values: ["ap-guangzhou-1"] }]), "ResourceInsufficient.AvailabilityZoneSoldOut");
    await expectCode(quota(gz, [{ Name: "sort-keys", Values: ["price:asc"] }]), "InvalidParameterValue");
    await expectCode(quota(gz, [{ Name: "instance-type", Values: ["S5MEDIUM4"] }]), "InvalidInstanceType.Malformed");
  });
});

describe("DescribeInstanceTypeConfigs", () => {
  const configs = (client: CvmClientType, filters?: Filters) => client.DescribeInstanceTypeConfigs(filters ? { Filters: filters } : {});

  it("lists the S6 types of ap-guangzhou-6 like the vendor example", async () => {
    const r = await configs(gz, [
      { Name: "zone", Values: ["ap-guangzhou-6"] },
      { Name: "instance-family", Values: ["S6"] },
    ]);
    const set = r.InstanceTypeConfigSet!;
    expect(set.every((c) => c.Zone === "ap-guangzhou-6" && c.InstanceFamily === "S6")).toBe(true);
    const byType = new Map(set.map((c) => [c.InstanceType, c]));
    expect(byType.get("S6.LARGE8")).toEqual({ Zone: "ap-guangzhou-6", InstanceType: "S6.LARGE8", InstanceFamily: "S6", CPU: 4, Memory: 8, GPU: 0, FPGA: 0, GpuCount: 0 });
    expect(byType.get("S6.MEDIUM8")).toMatchObject({ CPU: 2, Memory: 8 });
    expect(byType.get("S6.2XLARGE16")).toMatchObject({ CPU: 8, Memory: 16 });
    // One configuration per zone and type, whatever the charge types.
    expect(byType.size).toBe(set.length);
  });

  it("filters by instance type and gives GPU details", async () => {
    const s5 = await configs(gz, [{ Name: "instance-type", Values: ["S5.MEDIUM4"] }]);
    expect(s5.InstanceTypeConfigSet!.map((c) => c.Zone).sort()).toEqual(["ap-guangzhou-3", "ap-guangzhou-4", "ap-guangzhou-6", "ap-guangzhou-7"]);
    expect(s5.InstanceTypeConfigSet!.every((c) => c.CPU === 2 && c.Memory === 4)).toBe(true);

    const gpu = await configs(gz, [
      { Name: "zone", Values: ["ap-guangzhou-3"] },
      { Name: "instance-type", Values: ["GN10X.4XLARGE80"] },
    ]);
    expect(gpu.InstanceTypeConfigSet).toEqual([
      { Zone: "ap-guangzhou-3", InstanceType: "GN10X.4XLARGE80", InstanceFamily: "GN10X", CPU: 16, Memory: 80, GPU: 2, FPGA: 0, GpuCount: 2, GpuType: "NVIDIA V100", GpuMemory: 32 },
    ]);
  });

  it("lists the whole region without filters", async () => {
    const r = await configs(gz);
    const zones = new Set(r.InstanceTypeConfigSet!.map((c) => c.Zone));
    expect([...zones].sort()).toEqual(["ap-guangzhou-3", "ap-guangzhou-4", "ap-guangzhou-6", "ap-guangzhou-7"]);
    const keys = r.InstanceTypeConfigSet!.map((c) => `${c.Zone}/${c.InstanceType}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it("accepts one value per filter only, and only its three filter names", async () => {
    const message = await expectCode(configs(gz, [{ Name: "zone", Values: ["ap-guangzhou-3", "ap-guangzhou-4"] }]), "InvalidFilterValue.LimitExceeded");
    expect(message).toContain("Filters.0.Values");
    await expectCode(configs(gz, [{ Name: "instance-charge-type", Values: ["PREPAID"] }]), "InvalidFilter");
    await expectCode(configs(gz, [{ Name: "zone", Values: ["ap-beijing-3"] }]), "InvalidZone.MismatchRegion");
  });
});

describe("DescribeInstanceFamilyConfigs", () => {
  it("names the families in English by default and in Chinese under zh-CN", async () => {
    const en = await gz.DescribeInstanceFamilyConfigs();
    const zh = await gzZh.DescribeInstanceFamilyConfigs();
    const enNames = new Map(en.InstanceFamilyConfigSet!.map((f) => [f.InstanceFamily, f.InstanceFamilyName]));
    const zhNames = new Map(zh.InstanceFamilyConfigSet!.map((f) => [f.InstanceFamily, f.InstanceFamilyName]));
    expect(enNames.get("S5")).toBe("Standard S5");
    expect(zhNames.get("S5")).toBe("标准型S5");
    expect(enNames.get("SN2")).toBe("Standard network enhanced SN2");
    expect(zhNames.get("SN2")).toBe("标准型SN2");
    expect(zhNames.get("GN8")).toBe("GPU计算型GN8");
    expect([...enNames.keys()]).toEqual([...zhNames.keys()]);
    // The older families come first, as in the vendor example.
    expect(en.InstanceFamilyConfigSet![0]).toEqual({ InstanceFamily: "S1", InstanceFamilyName: "Standard S1" });
    for (const family of ["S5", "S6", "SA2", "SA5", "M5", "C5", "GN7", "GN10X", "SR1"]) expect(enNames.has(family), family).toBe(true);
  });

  it("lists only the families the region sells", async () => {
    const jakarta = await cvmClient(server, { region: "ap-jakarta" }).DescribeInstanceFamilyConfigs();
    const families = jakarta.InstanceFamilyConfigSet!.map((f) => f.InstanceFamily);
    expect(families).toContain("S5");
    expect(families).not.toContain("S1");
    expect(families).not.toContain("GN7");
  });
});

describe("DescribeImages", () => {
  it("finds img-9qabwvbn by id, as the API shows it", async () => {
    const r = await gz.DescribeImages({ ImageIds: ["img-9qabwvbn"] });
    expect(r.TotalCount).toBe(1);
    expect(r.ImageSet).toEqual([
      {
        ImageId: "img-9qabwvbn",
        OsName: "CentOS 7.6 64位",
        ImageType: "PUBLIC_IMAGE",
        CreatedTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
        ImageName: "CentOS 7.6 64位",
        ImageDescription: "CentOS 7.6 64位",
        ImageSize: 50,
        Architecture: "x86_64",
        ImageState: "NORMAL",
        Platform: "CentOS",
        ImageCreator: "tencent",
        ImageSource: "OFFICIAL",
        SyncPercent: 100,
        IsSupportCloudinit: true,
        SnapshotSet: [],
        Tags: [],
        LicenseType: "TencentCloud",
        ImageFamily: "",
        ImageDeprecated: false,
      },
    ]);
  });

  it("offers the same public images under the same ids in every region", async () => {
    const ids = ["img-9qabwvbn", "img-pmqg1cw7", "img-8toqc6s3", "img-2lr9q49h", "img-eb30mz89", "img-9qrfy1xt", "img-l7uxaine"];
    const gzImages = await gz.DescribeImages({ ImageIds: ids });
    const sgImages = await cvmClient(server, { region: "ap-singapore" }).DescribeImages({ ImageIds: ids });
    expect(gzImages.TotalCount).toBe(ids.length);
    expect(sgImages.ImageSet).toEqual(gzImages.ImageSet);
    expect(gzImages.ImageSet!.find((i) => i.ImageId === "img-2lr9q49h")).toMatchObject({ OsName: "tlinux2.2(tkernel3)x86_64", Platform: "TencentOS" });
    expect(gzImages.ImageSet!.find((i) => i.ImageId === "img-8toqc6s3")!.OsName).toBe("CentOS 7.4 64bit");
  });

  it("answers nothing for a well-formed id that does not exist", async () => {
    const r = await gz.DescribeImages({ ImageIds: ["img-00000000"] });
    expect(r).toMatchObject({ TotalCount: 0, ImageSet: [] });
  });

  it("filters by image id, image type, fuzzy name and fuzzy platform", async () => {
    const byId = await gz.DescribeImages({ Filters: [{ Name: "image-id", Values: ["img-eb30mz89", "img-6n21msk1"] }] });
    expect(byId.ImageSet!.map((i) => i.ImageId).sort()).toEqual(["img-6n21msk1", "img-eb30mz89"]);

    const all = await gz.DescribeImages({ Limit: 100 });
    const publicOnly = await gz.DescribeImages({ Filters: [{ Name: "image-type", Values: ["PUBLIC_IMAGE"] }], Limit: 100 });
    expect(publicOnly.TotalCount).toBe(all.TotalCount);
    const privateOnly = await gz.DescribeImages({ Filters: [{ Name: "image-type", Values: ["PRIVATE_IMAGE", "SHARED_IMAGE"] }] });
    expect(privateOnly).toMatchObject({ TotalCount: 0, ImageSet: [] });

    const ubuntu = await gz.DescribeImages({ Filters: [{ Name: "image-name", Values: ["ubuntu server 22.04"] }] });
    expect(ubuntu.ImageSet!.length).toBeGreaterThan(0);
    expect(ubuntu.ImageSet!.every((i) => i.ImageName!.startsWith("Ubuntu Server 22.04"))).toBe(true);

    const windows = await gz.DescribeImages({ Filters: [{ Name: "platform", Values: ["windows"] }], Limit: 100 });
    expect(windows.TotalCount).toBe(6);
    expect(windows.ImageSet!.some((i) => i.ImageName!.includes("中文版"))).toBe(true);
    expect(windows.ImageSet!.some((i) => i.ImageName!.includes("英文版"))).toBe(true);

    const cent = await gz.DescribeImages({ Filters: [{ Name: "platform", Values: ["Cent"] }, { Name: "image-name", Values: ["7.6"] }] });
    expect(cent.ImageSet!.map((i) => i.ImageId)).toEqual(["img-9qabwvbn"]);
  });

  it("matches no public image by tag or dedicated cluster", async () => {
    for (const filter of [
      { Name: "tag-key", Values: ["env"] },
      { Name: "tag-value", Values: ["prod"] },
      { Name: "tag:env", Values: ["prod"] },
      { Name: "dedicated-cluster-id", Values: ["cluster-12345678"] },
      { Name: "cdc-cache-status", Values: ["CACHED_ALL"] },
    ]) {
      expect((await gz.DescribeImages({ Filters: [filter] })).TotalCount, filter.Name).toBe(0);
    }
  });

  it("pages with Offset and Limit, TotalCount counting every match", async () => {
    const all = await gz.DescribeImages({ Limit: 100 });
    const total = all.TotalCount!;
    expect(total).toBeGreaterThanOrEqual(25);
    expect(all.ImageSet).toHaveLength(total);

    const first = await gz.DescribeImages({});
    expect(first.TotalCount).toBe(total);
    expect(first.ImageSet).toHaveLength(20);

    const pages: string[] = [];
    for (let offset = 0; offset < total; offset += 7) {
      const page = await gz.DescribeImages({ Offset: offset, Limit: 7 });
      expect(page.TotalCount).toBe(total);
      expect(page.ImageSet!.length).toBe(Math.min(7, total - offset));
      pages.push(...page.ImageSet!.map((i) => i.ImageId!));
    }
    expect(pages).toEqual(all.ImageSet!.map((i) => i.ImageId));

    const beyond = await gz.DescribeImages({ Offset: total, Limit: 10 });
    expect(beyond).toMatchObject({ TotalCount: total, ImageSet: [] });
  });

  it("restricts to the images an instance type can run", async () => {
    const arm = await gz.DescribeImages({ InstanceType: "SR1.MEDIUM4", Limit: 100 });
    expect(arm.TotalCount).toBeGreaterThan(0);
    expect(arm.ImageSet!.every((i) => i.Architecture === "arm")).toBe(true);
    const x86 = await gz.DescribeImages({ InstanceType: "S5.MEDIUM4", Limit: 100 });
    expect(x86.ImageSet!.every((i) => i.Architecture === "x86_64")).toBe(true);
    const all = await gz.DescribeImages({ Limit: 100 });
    expect(arm.TotalCount! + x86.TotalCount!).toBe(all.TotalCount);
  });

  it("rejects ImageIds with Filters, malformed ids, unknown filters and too many values", async () => {
    await expectCode(
      gz.DescribeImages({ ImageIds: ["img-9qabwvbn"], Filters: [{ Name: "image-type", Values: ["PUBLIC_IMAGE"] }] }),
      "InvalidParameter.InvalidParameterCoexistImageIdsFilters",
    );
    const malformed = await expectCode(gz.DescribeImages({ ImageIds: ["img-9qabwvbn", "img-ABC"] }), "InvalidImageId.Malformed");
    expect(malformed).toContain("ImageIds.1");
    await expectCode(gz.DescribeImages({ Filters: [{ Name: "image-id", Values: ["ins-12345678"] }] }), "InvalidImageId.Malformed");
    const unknown = await expectCode(gz.DescribeImages({ Filters: [{ Name: "image-state", Values: ["NORMAL"] }] }), "InvalidFilter");
    expect(unknown).toContain("Filters.0.Name");
    await expectCode(gz.DescribeImages({ Filters: [{ Name: "platform", Values: ["a", "b", "c", "d", "e", "f"] }] }), "InvalidFilterValue.LimitExceeded");
    const eleven = Array.from({ length: 11 }, () => ({ Name: "platform", Values: ["CentOS"] }));
    await expectCode(gz.DescribeImages({ Filters: eleven }), "InvalidParameterValue.LimitExceeded");
  });

  it("rejects a bad page and a bad instance type", async () => {
    await expectCode(gz.DescribeImages({ Limit: 101 }), "InvalidParameterValue");
    await expectCode(gz.DescribeImages({ Limit: 0 }), "InvalidParameterValue");
    await expectCode(gz.DescribeImages({ Offset: -1 }), "InvalidParameterValue");
    await expectCode(gz.DescribeImages({ InstanceType: "S5" }), "InvalidInstanceType.Malformed");
    await expectCode(gz.DescribeImages({ InstanceType: "S9.MEDIUM4" }), "InvalidParameterValue.InstanceTypeNotFound");
  });
});
