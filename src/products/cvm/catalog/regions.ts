// The CVM region and zone catalog. Zone ids follow the real numbering: a region prefix times 1000 plus
// the zone number (ap-guangzhou-3 = 100003). Sold-out zones answer ZoneState UNAVAILABLE.
import type { Language } from "../../../protocol/errors.js";

interface RegionData {
  region: string;
  nameEn: string;
  nameZh: string;
  cityEn: string;
  cityZh: string;
  zoneIdPrefix: number;
  zones: number[];
  soldOut?: number[];
}

const REGIONS: RegionData[] = [
  { region: "ap-bangkok", nameEn: "Southeast Asia (Bangkok)", nameZh: "亚太东南(曼谷)", cityEn: "Bangkok", cityZh: "曼谷", zoneIdPrefix: 230, zones: [1, 2] },
  { region: "ap-beijing", nameEn: "North China (Beijing)", nameZh: "华北地区(北京)", cityEn: "Beijing", cityZh: "北京", zoneIdPrefix: 800, zones: [1, 3, 4, 5, 6, 7], soldOut: [1] },
  { region: "ap-chengdu", nameEn: "Southwest China (Chengdu)", nameZh: "西南地区(成都)", cityEn: "Chengdu", cityZh: "成都", zoneIdPrefix: 160, zones: [1, 2] },
  { region: "ap-chongqing", nameEn: "Southwest China (Chongqing)", nameZh: "西南地区(重庆)", cityEn: "Chongqing", cityZh: "重庆", zoneIdPrefix: 190, zones: [1] },
  { region: "ap-guangzhou", nameEn: "South China (Guangzhou)", nameZh: "华南地区(广州)", cityEn: "Guangzhou", cityZh: "广州", zoneIdPrefix: 100, zones: [1, 2, 3, 4, 6, 7], soldOut: [1, 2] },
  { region: "ap-hongkong", nameEn: "Hong Kong, Macau and Taiwan (China) (Hong Kong, China)", nameZh: "港澳台地区(中国香港)", cityEn: "Hong Kong", cityZh: "香港", zoneIdPrefix: 300, zones: [1, 2, 3], soldOut: [1] },
  { region: "ap-jakarta", nameEn: "Southeast Asia (Jakarta)", nameZh: "亚太东南(雅加达)", cityEn: "Jakarta", cityZh: "雅加达", zoneIdPrefix: 720, zones: [1, 2] },
  { region: "ap-mumbai", nameEn: "South Asia (Mumbai)", nameZh: "亚太南部(孟买)", cityEn: "Mumbai", cityZh: "孟买", zoneIdPrefix: 210, zones: [1, 2] },
  { region: "ap-nanjing", nameEn: "East China (Nanjing)", nameZh: "华东地区(南京)", cityEn: "Nanjing", cityZh: "南京", zoneIdPrefix: 330, zones: [1, 2, 3] },
  { region: "ap-seoul", nameEn: "Northeast Asia (Seoul)", nameZh: "亚太东北(首尔)", cityEn: "Seoul", cityZh: "首尔", zoneIdPrefix: 180, zones: [1, 2] },
  { region: "ap-shanghai", nameEn: "East China (Shanghai)", nameZh: "华东地区(上海)", cityEn: "Shanghai", cityZh: "上海", zoneIdPrefix: 200, zones: [2, 3, 4, 5, 8] },
  { region: "ap-shanghai-fsi", nameEn: "East China (Shanghai Finance)", nameZh: "华东地区(上海金融)", cityEn: "Shanghai Finance", cityZh: "上海金融", zoneIdPrefix: 700, zones: [1, 2, 3] },
  { region: "ap-shenzhen-fsi", nameEn: "South China (Shenzhen Finance)", nameZh: "华南地区(深圳金融)", cityEn: "Shenzhen Finance", cityZh: "深圳金融", zoneIdPrefix: 110, zones: [1, 2, 3], soldOut: [3] },
  { region: "ap-singapore", nameEn: "Southeast Asia (Singapore)", nameZh: "亚太东南(新加坡)", cityEn: "Singapore", cityZh: "新加坡", zoneIdPrefix: 900, zones: [1, 2, 3, 4] },
  { region: "ap-tokyo", nameEn: "Northeast Asia (Tokyo)", nameZh: "亚太东北(东京)", cityEn: "Tokyo", cityZh: "东京", zoneIdPrefix: 250, zones: [1, 2] },
  { region: "eu-frankfurt", nameEn: "Europe (Frankfurt)", nameZh: "欧洲地区(法兰克福)", cityEn: "Frankfurt", cityZh: "法兰克福", zoneIdPrefix: 170, zones: [1, 2] },
  { region: "na-ashburn", nameEn: "US East (Virginia)", nameZh: "美国东部(弗吉尼亚)", cityEn: "Virginia", cityZh: "弗吉尼亚", zoneIdPrefix: 220, zones: [1, 2] },
  { region: "na-siliconvalley", nameEn: "US West (Silicon Valley)", nameZh: "美国西部(硅谷)", cityEn: "Silicon Valley", cityZh: "硅谷", zoneIdPrefix: 150, zones: [1, 2] },
  { region: "sa-saopaulo", nameEn: "South America (São Paulo)", nameZh: "南美地区(圣保罗)", cityEn: "São Paulo", cityZh: "圣保罗", zoneIdPrefix: 740, zones: [1] },
];

const ZH_NUMBERS = ["", "一", "二", "三", "四", "五", "六", "七", "八", "九"];

export interface Zone {
  zone: string;
  zoneId: string;
  number: number;
  nameEn: string;
  nameZh: string;
  available: boolean;
}

export interface Region {
  region: string;
  nameEn: string;
  nameZh: string;
  zones: Zone[];
}

export const CATALOG: ReadonlyMap<string, Region> = new Map(
  REGIONS.map((r) => [
    r.region,
    {
      region: r.region,
      nameEn: r.nameEn,
      nameZh: r.nameZh,
      zones: r.zones.map((n) => ({
        zone: `${r.region}-${n}`,
        zoneId: String(r.zoneIdPrefix * 1000 + n),
        number: n,
        nameEn: `${r.cityEn} Zone ${n}`,
        nameZh: `${r.cityZh}${ZH_NUMBERS[n]}区`,
        available: !(r.soldOut ?? []).includes(n),
      })),
    },
  ]),
);

export function regionName(region: Region, language: Language): string {
  return language === "zh-CN" ? region.nameZh : region.nameEn;
}

export function zoneName(zone: Zone, language: Language): string {
  return language === "zh-CN" ? zone.nameZh : zone.nameEn;
}

/** The zone with this name, if it is in the given region. */
export function findZone(region: string, zone: string): Zone | undefined {
  return CATALOG.get(region)?.zones.find((z) => z.zone === zone);
}
