// Each account gets, per region, a default VPC (172.16.0.0/16), a default /20 subnet per zone and a
// default security group, created on first use, as the real service does for new accounts.
import { apiError } from "../../../protocol/errors.js";
import { malformedIdText } from "../../../protocol/messages.js";
import { CATALOG } from "../catalog/regions.js";
import { newResourceId } from "../ids.js";
import { cidrContains, ipToNumber, numberToIp, parseCidr } from "./ipv4.js";
import type { Sql } from "../../../store/sql.js";

export const DEFAULT_VPC_CIDR = "172.16.0.0/16";
/** Addresses the VPC keeps for itself at each end of a subnet (network, gateway; broadcast). */
const FIRST_HOST = 2;
const RESERVED_AT_END = 2;

export interface Subnet {
  subnetId: string;
  vpcId: string;
  zone: string;
  cidr: string;
  isDefault: boolean;
}

interface SubnetRow {
  subnet_id: string;
  vpc_id: string;
  zone: string;
  cidr: string;
  is_default: number;
  next_host: number;
}

function toSubnet(row: SubnetRow): Subnet {
  return { subnetId: row.subnet_id, vpcId: row.vpc_id, zone: row.zone, cidr: row.cidr, isDefault: row.is_default === 1 };
}

export class NetworkRepository {
  constructor(
    private readonly sql: Sql,
    private readonly account: string,
    private readonly region: string,
  ) {}

  /** The default VPC, created with its zone subnets and default security group on first use. */
  async defaultVpcId(now: number): Promise<string> {
    const existing = await this.sql.value<string>("SELECT vpc_id FROM cvm_vpcs WHERE account_uin = ? AND region = ? AND is_default = 1", [this.account, this.region]);
    if (existing !== undefined) return existing;
    const vpcId = newResourceId("vpc");
    await this.sql.run("INSERT INTO cvm_vpcs (account_uin, region, vpc_id, cidr, is_default, created_at) VALUES (?, ?, ?, ?, 1, ?)", [
      this.account,
      this.region,
      vpcId,
      DEFAULT_VPC_CIDR,
      now,
    ]);
    const vpc = parseCidr(DEFAULT_VPC_CIDR);
    const zones = CATALOG.get(this.region)?.zones ?? [];
    for (const [i, zone] of zones.entries()) {
      const cidr = `${numberToIp(vpc.base + i * 4096)}/20`;
      await this.sql.run(
        "INSERT INTO cvm_subnets (account_uin, region, subnet_id, vpc_id, zone, cidr, is_default, next_host, created_at) VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?)",
        [this.account, this.region, newResourceId("subnet"), vpcId, zone.zone, cidr, FIRST_HOST, now],
      );
    }
    await this.sql.run("INSERT INTO cvm_security_groups (account_uin, region, sg_id, name, is_default, created_at) VALUES (?, ?, ?, 'default', 1, ?)", [
      this.account,
      this.region,
      newResourceId("sg"),
      now,
    ]);
    return vpcId;
  }

  async defaultSubnet(zone: string, now: number): Promise<Subnet> {
    const vpcId = await this.defaultVpcId(now);
    const row = await this.sql.get<SubnetRow>("SELECT * FROM cvm_subnets WHERE account_uin = ? AND region = ? AND vpc_id = ? AND zone = ? AND is_default = 1", [
      this.account,
      this.region,
      vpcId,
      zone,
    ]);
    if (!row) throw new Error(`no default subnet for zone ${zone}`);
    return toSubnet(row);
  }

  async defaultSecurityGroupId(now: number): Promise<string> {
    await this.defaultVpcId(now);
    return (await this.sql.value<string>("SELECT sg_id FROM cvm_security_groups WHERE account_uin = ? AND region = ? AND is_default = 1", [this.account, this.region]))!;
  }

  async vpcExists(vpcId: string): Promise<boolean> {
    return (await this.sql.value("SELECT 1 FROM cvm_vpcs WHERE account_uin = ? AND region = ? AND vpc_id = ?", [this.account, this.region, vpcId])) !== undefined;
  }

  async findSubnet(subnetId: string): Promise<Subnet | undefined> {
    const row = await this.sql.get<SubnetRow>("SELECT * FROM cvm_subnets WHERE account_uin = ? AND region = ? AND subnet_id = ?", [this.account, this.region, subnetId]);
    return row ? toSubnet(row) : undefined;
  }

  /**
   * The subnet a VirtualPrivateCloud parameter names: both ids well formed, the VPC existing, the subnet
   * existing and belonging to it. (The default VPC is created first, so an account's first call can name it.)
   */
  async resolveSubnet(vpc: { VpcId: string; SubnetId: string }, now: number): Promise<Subnet> {
    if (!/^vpc-[a-z0-9]{8}$/.test(vpc.VpcId)) {
      throw apiError("InvalidParameterValue.VpcIdMalformed", malformedIdText({ en: "VPC id", zh: "私有网络 ID" }, vpc.VpcId, "VirtualPrivateCloud.VpcId", "vpc"));
    }
    if (!/^subnet-[a-z0-9]{8}$/.test(vpc.SubnetId)) {
      throw apiError("InvalidParameterValue.SubnetIdMalformed", malformedIdText({ en: "subnet id", zh: "子网 ID" }, vpc.SubnetId, "VirtualPrivateCloud.SubnetId", "subnet"));
    }
    await this.defaultVpcId(now);
    if (!(await this.vpcExists(vpc.VpcId))) {
      throw apiError("InvalidParameterValue.VpcIdNotExist", {
        en: `The VPC \`${vpc.VpcId}\` in \`VirtualPrivateCloud.VpcId\` does not exist in region ${this.region}.`,
        zh: `参数\`VirtualPrivateCloud.VpcId\`中的私有网络\`${vpc.VpcId}\`在地域 ${this.region} 中不存在。`,
      });
    }
    const found = await this.findSubnet(vpc.SubnetId);
    if (!found) {
      throw apiError("InvalidParameterValue.SubnetNotExist", {
        en: `The subnet \`${vpc.SubnetId}\` in \`VirtualPrivateCloud.SubnetId\` does not exist in region ${this.region}.`,
        zh: `参数\`VirtualPrivateCloud.SubnetId\`中的子网\`${vpc.SubnetId}\`在地域 ${this.region} 中不存在。`,
      });
    }
    if (found.vpcId !== vpc.VpcId) {
      throw apiError("InvalidParameterValue.VpcIdSubnetIdNotMatch", {
        en: `The subnet ${vpc.SubnetId} in \`VirtualPrivateCloud.SubnetId\` belongs to VPC ${found.vpcId}, not to \`VirtualPrivateCloud.VpcId\` ${vpc.VpcId}.`,
        zh: `参数\`VirtualPrivateCloud.SubnetId\`中的子网 ${vpc.SubnetId} 属于私有网络 ${found.vpcId}，而不是参数\`VirtualPrivateCloud.VpcId\`指定的 ${vpc.VpcId}。`,
      });
    }
    return found;
  }

  /** An instance can only use a subnet of its own zone. */
  ensureSubnetInZone(subnet: Subnet, zone: string): void {
    if (subnet.zone !== zone) {
      throw apiError("InvalidParameterValue.SubnetIdZoneIdNotMatch", {
        en: `The subnet ${subnet.subnetId} in \`VirtualPrivateCloud.SubnetId\` is in zone ${subnet.zone}, not in the instance's zone ${zone}.`,
        zh: `参数\`VirtualPrivateCloud.SubnetId\`中的子网 ${subnet.subnetId} 位于可用区 ${subnet.zone}，与实例所在的可用区 ${zone} 不一致。`,
      });
    }
  }

  /** A security group the account can use from now on (the default one is made by defaultVpcId). */
  async createSecurityGroup(name: string, now: number): Promise<string> {
    const sgId = newResourceId("sg");
    await this.sql.run("INSERT INTO cvm_security_groups (account_uin, region, sg_id, name, is_default, created_at) VALUES (?, ?, ?, ?, 0, ?)", [
      this.account,
      this.region,
      sgId,
      name,
      now,
    ]);
    return sgId;
  }

  /** Which of these security groups do not exist. */
  async missingSecurityGroups(ids: readonly string[]): Promise<string[]> {
    const missing: string[] = [];
    for (const id of ids) {
      const found = await this.sql.value("SELECT 1 FROM cvm_security_groups WHERE account_uin = ? AND region = ? AND sg_id = ?", [this.account, this.region, id]);
      if (found === undefined) missing.push(id);
    }
    return missing;
  }

  private async ipInUse(subnetId: string, ip: string): Promise<boolean> {
    const found = await this.sql.value("SELECT 1 FROM cvm_instances WHERE account_uin = ? AND region = ? AND subnet_id = ? AND private_ip = ?", [
      this.account,
      this.region,
      subnetId,
      ip,
    ]);
    return found !== undefined;
  }

  /** Checks that a requested private IP is a free address of the subnet. */
  async checkRequestedIp(subnet: Subnet, ip: string): Promise<void> {
    const n = ipToNumber(ip);
    if (n === undefined) {
      throw apiError("InvalidParameter.InvalidIpFormat", {
        en: `The private IP \`${ip.slice(0, 64)}\` in \`VirtualPrivateCloud.PrivateIpAddresses\` is not an IPv4 address (such as 172.16.0.10).`,
        zh: `参数\`VirtualPrivateCloud.PrivateIpAddresses\`中的内网 IP\`${ip.slice(0, 64)}\`不是合法的 IPv4 地址（例如 172.16.0.10）。`,
      });
    }
    const cidr = parseCidr(subnet.cidr);
    if (!cidrContains(cidr, n) || n - cidr.base < FIRST_HOST || n - cidr.base >= cidr.size - RESERVED_AT_END) {
      throw apiError("VpcAddrNotInSubNet", {
        en: `The private IP ${ip} in \`VirtualPrivateCloud.PrivateIpAddresses\` is not an assignable address of subnet ${subnet.subnetId} (${subnet.cidr}).`,
        zh: `参数\`VirtualPrivateCloud.PrivateIpAddresses\`中的内网 IP ${ip} 不是子网 ${subnet.subnetId}（${subnet.cidr}）中可分配的地址。`,
      });
    }
    if (await this.ipInUse(subnet.subnetId, ip)) {
      throw apiError("VpcIpIsUsed", {
        en: `The private IP ${ip} in \`VirtualPrivateCloud.PrivateIpAddresses\` is already used in subnet ${subnet.subnetId}; choose a free address.`,
        zh: `参数\`VirtualPrivateCloud.PrivateIpAddresses\`中的内网 IP ${ip} 在子网 ${subnet.subnetId} 中已被占用，请指定空闲的地址。`,
      });
    }
  }

  /** Checks addresses asked for several instances at once: all different, each a free address of the subnet. */
  async checkRequestedIps(subnet: Subnet, ips: readonly string[]): Promise<void> {
    const twice = ips.find((ip, i) => ips.indexOf(ip) !== i);
    if (twice !== undefined) {
      throw apiError("VpcIpIsUsed", {
        en: `\`VirtualPrivateCloud.PrivateIpAddresses\` names the address ${twice.slice(0, 64)} twice; each instance needs its own.`,
        zh: `参数\`VirtualPrivateCloud.PrivateIpAddresses\`中的地址 ${twice.slice(0, 64)} 重复，每台实例需要各自的地址。`,
      });
    }
    for (const ip of ips) await this.checkRequestedIp(subnet, ip);
  }

  /** The next free private IP of the subnet, in address order. */
  async allocateIp(subnet: Subnet, taken: ReadonlySet<string>): Promise<string> {
    const cidr = parseCidr(subnet.cidr);
    const nextHost = (await this.sql.value<number>("SELECT next_host FROM cvm_subnets WHERE account_uin = ? AND region = ? AND subnet_id = ?", [
      this.account,
      this.region,
      subnet.subnetId,
    ]))!;
    const last = cidr.size - RESERVED_AT_END;
    // Scan from where the last allocation stopped, wrapping once, so freed addresses are found again.
    for (let i = 0; i < last - FIRST_HOST; i++) {
      const host = FIRST_HOST + ((nextHost - FIRST_HOST + i) % (last - FIRST_HOST));
      const ip = numberToIp(cidr.base + host);
      if (taken.has(ip) || (await this.ipInUse(subnet.subnetId, ip))) continue;
      await this.sql.run("UPDATE cvm_subnets SET next_host = ? WHERE account_uin = ? AND region = ? AND subnet_id = ?", [host + 1, this.account, this.region, subnet.subnetId]);
      return ip;
    }
    throw apiError("FailedOperation.NoAvailableIpAddressCountInSubnet", {
      en: `Subnet ${subnet.subnetId} (${subnet.cidr}) has no free IP address left; choose another subnet.`,
      zh: `子网 ${subnet.subnetId}（${subnet.cidr}）中已没有可用的 IP 地址，请选择其他子网。`,
    });
  }

  /** A public IPv4 address from the region's pool. */
  async allocatePublicIp(): Promise<string> {
    // One statement: the pool is shared by every account of the region, and by every node.
    const n = (await this.sql.value<number>(
      "INSERT INTO cvm_public_ips (region, next_ip) VALUES (?, 1) ON CONFLICT (region) DO UPDATE SET next_ip = cvm_public_ips.next_ip + 1 RETURNING next_ip",
      [this.region],
    ))!;
    const regionIndex = [...CATALOG.keys()].indexOf(this.region);
    // 43.128.0.0/10 is Tencent Cloud's; one /16 per region, skipping .0 and .255 hosts.
    const base = ipToNumber(`43.${128 + regionIndex}.0.0`)!;
    return numberToIp(base + Math.floor((n - 1) / 254) * 256 + ((n - 1) % 254) + 1);
  }
}
