// The official public images. Like the real service, every region offers the same set under the same ids.
//
// Ids from vendor material: img-9qabwvbn, img-8toqc6s3, img-pmqg1cw7 (CLI examples), img-2lr9q49h,
// img-eb30mz89, img-9qrfy1xt, img-l7uxaine (Terraform tests), img-hdt9xxkt (TencentOS release notes).
// img-6n21msk1 and the Ubuntu 20.04/22.04/24.04 and Windows ids come from public Terraform material;
// img-l8og963d and img-pi0ii46r are seen in public material with less certain systems. The rest are made
// up in the real form. img-pmqg1cw7 and img-l7uxaine are only ever used as ids, so their systems are a guess.
import type * as M from "tencentcloud-sdk-nodejs-cvm/tencentcloud/services/cvm/v20170312/cvm_models.js";
import type { Architecture } from "./instance-types.js";

export const IMAGE_ID_RE = /^img-[a-z0-9]{8}$/;

export type ImageType = "PUBLIC_IMAGE" | "PRIVATE_IMAGE" | "SHARED_IMAGE";
export type OsType = "linux" | "windows";

/**
 * An image: every field DescribeImages shows (the official names), plus what instances take from it. The
 * same shape will hold private and shared images.
 */
export interface ImageRecord extends Required<Omit<M.Image, "CdcCacheStatus">>, Pick<M.Image, "CdcCacheStatus"> {
  ImageType: ImageType;
  Architecture: Architecture | "i386";
  osType: OsType;
  /** root, ubuntu (Ubuntu images) or Administrator (Windows). */
  defaultLoginUser: string;
  /** 22 (SSH) or 3389 (RDP). */
  defaultLoginPort: number;
}

interface PublicImageRow {
  id: string;
  name: string;
  platform: string;
  /** GiB. */
  size: number;
  created: string;
  arch?: Architecture;
  /** When the OS reports a name other than the image's. */
  osName?: string;
}

const IMAGES: readonly PublicImageRow[] = [
  { id: "img-9qabwvbn", name: "CentOS 7.6 64位", platform: "CentOS", size: 50, created: "2020-09-22T00:00:00Z" },
  { id: "img-8toqc6s3", name: "CentOS 7.4 64bit", platform: "CentOS", size: 20, created: "2018-01-16T08:13:40Z" },
  { id: "img-pmqg1cw7", name: "CentOS 7.2 64位", platform: "CentOS", size: 20, created: "2017-03-07T03:21:28Z" },
  { id: "img-l8og963d", name: "CentOS 7.9 64位", platform: "CentOS", size: 20, created: "2021-01-12T06:42:51Z" },
  { id: "img-l7uxaine", name: "CentOS 8.2 64位", platform: "CentOS", size: 20, created: "2020-08-05T09:15:02Z" },
  { id: "img-2uzqne5l", name: "CentOS Stream 9 64位", platform: "CentOS", size: 20, created: "2022-05-18T02:37:44Z" },
  { id: "img-2lr9q49h", name: "Tencent Linux 2.2 64bit (tkernel3)", osName: "tlinux2.2(tkernel3)x86_64", platform: "TencentOS", size: 50, created: "2019-03-25T07:09:11Z" },
  { id: "img-hdt9xxkt", name: "TencentOS Server 2.4", platform: "TencentOS", size: 20, created: "2019-09-17T00:00:00Z" },
  { id: "img-eb30mz89", name: "TencentOS Server 3.1 (TK4)", platform: "TencentOS", size: 20, created: "2021-07-13T00:00:00Z" },
  { id: "img-9qrfy1xt", name: "TencentOS Server 3.2 (Final)", platform: "TencentOS", size: 20, created: "2023-03-21T08:26:37Z" },
  { id: "img-6n21msk1", name: "TencentOS Server 4 for x86_64", platform: "TencentOS", size: 20, created: "2024-04-25T03:50:19Z" },
  { id: "img-3wnd9xpl", name: "TencentOS Server 3.1 (TK4) for ARM64", platform: "TencentOS", size: 20, created: "2021-11-30T06:18:05Z", arch: "arm" },
  { id: "img-pi0ii46r", name: "Ubuntu Server 18.04.1 LTS 64位", platform: "Ubuntu", size: 20, created: "2018-08-28T11:40:22Z" },
  { id: "img-22trbn9x", name: "Ubuntu Server 20.04 LTS 64位", platform: "Ubuntu", size: 20, created: "2020-05-14T03:21:50Z" },
  { id: "img-487zeit5", name: "Ubuntu Server 22.04 LTS 64位", platform: "Ubuntu", size: 20, created: "2022-05-06T07:55:13Z" },
  { id: "img-mmytdhbn", name: "Ubuntu Server 24.04 LTS 64位", platform: "Ubuntu", size: 20, created: "2024-05-09T02:04:36Z" },
  { id: "img-r6q0x8aw", name: "Ubuntu Server 22.04 LTS 64位 ARM", platform: "Ubuntu", size: 20, created: "2022-09-02T10:30:00Z", arch: "arm" },
  { id: "img-h7bwiw6r", name: "Debian 11.7 64位", platform: "Debian", size: 20, created: "2023-05-16T04:12:09Z" },
  { id: "img-dgzqxjlu", name: "Debian 12.4 64位", platform: "Debian", size: 20, created: "2024-01-10T06:45:31Z" },
  { id: "img-4ou1zq0x", name: "Rocky Linux 8.8 64位", platform: "Rocky Linux", size: 20, created: "2023-06-08T09:03:27Z" },
  { id: "img-o3ejcp4g", name: "Rocky Linux 9.2 64位", platform: "Rocky Linux", size: 20, created: "2023-06-08T09:31:58Z" },
  { id: "img-kdi3c9uf", name: "AlmaLinux 9.2 64位", platform: "AlmaLinux", size: 20, created: "2023-07-19T02:26:14Z" },
  { id: "img-ji61yrfz", name: "OpenCloudOS 8.8 64位", platform: "OpenCloudOS", size: 20, created: "2023-08-22T08:11:45Z" },
  { id: "img-8d2vuz0w", name: "OpenCloudOS 9.0 64位", platform: "OpenCloudOS", size: 20, created: "2023-11-28T07:58:03Z" },
  { id: "img-9id7emv7", name: "Windows Server 2016 数据中心版 64位中文版", platform: "Windows", size: 50, created: "2016-11-24T08:00:00Z" },
  { id: "img-1eckhm4t", name: "Windows Server 2016 数据中心版 64位英文版", platform: "Windows", size: 50, created: "2016-11-24T08:00:00Z" },
  { id: "img-mmy6qctz", name: "Windows Server 2019 数据中心版 64位中文版", platform: "Windows", size: 50, created: "2019-03-05T08:00:00Z" },
  { id: "img-bhvhr6pr", name: "Windows Server 2019 数据中心版 64位英文版", platform: "Windows", size: 50, created: "2019-03-05T08:00:00Z" },
  { id: "img-m07ny34j", name: "Windows Server 2022 数据中心版 64位中文版", platform: "Windows", size: 50, created: "2021-11-23T08:00:00Z" },
  { id: "img-9tzezztj", name: "Windows Server 2022 数据中心版 64位英文版", platform: "Windows", size: 50, created: "2021-11-23T08:00:00Z" },
];

function publicImage(row: PublicImageRow): ImageRecord {
  const windows = row.platform === "Windows";
  return {
    ImageId: row.id,
    OsName: row.osName ?? row.name,
    ImageType: "PUBLIC_IMAGE",
    CreatedTime: row.created,
    ImageName: row.name,
    ImageDescription: row.name,
    ImageSize: row.size,
    Architecture: row.arch ?? "x86_64",
    ImageState: "NORMAL",
    Platform: row.platform,
    ImageCreator: "tencent",
    ImageSource: "OFFICIAL",
    SyncPercent: 100,
    IsSupportCloudinit: !windows,
    SnapshotSet: [],
    Tags: [],
    LicenseType: "TencentCloud",
    ImageFamily: "",
    ImageDeprecated: false,
    osType: windows ? "windows" : "linux",
    defaultLoginUser: windows ? "Administrator" : row.platform === "Ubuntu" ? "ubuntu" : "root",
    defaultLoginPort: windows ? 3389 : 22,
  };
}

const PUBLIC_IMAGES: readonly ImageRecord[] = IMAGES.map(publicImage);
const BY_ID: ReadonlyMap<string, ImageRecord> = new Map(PUBLIC_IMAGES.map((i) => [i.ImageId, i]));

/** The public images, the same in every region. */
export function publicImages(): readonly ImageRecord[] {
  return PUBLIC_IMAGES;
}

export function findPublicImage(imageId: string): ImageRecord | undefined {
  return BY_ID.get(imageId);
}
