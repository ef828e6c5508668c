// The regions STS answers in, and its documented request rates.
//
// Regions: the API page "Request Structure" (请求结构) of Security Token Service lists the hosts
// sts.<region>.tencentcloudapi.com; its first entries are Guangzhou, Shanghai, Beijing, Chengdu,
// Chongqing, Hong Kong and Singapore, followed by the usual overseas regions of that page template.
//
// Rates: the API page "API Category" (API 概览): AssumeRole 600, AssumeRoleWithSAML 200,
// AssumeRoleWithWebIdentity 20, GetCallerIdentity 20, GetFederationToken 600, GetSessionToken 20,
// QueryApiKey 20 requests per second.

export const STS_REGIONS: ReadonlySet<string> = new Set([
  "ap-guangzhou",
  "ap-shanghai",
  "ap-beijing",
  "ap-chengdu",
  "ap-chongqing",
  "ap-hongkong",
  "ap-singapore",
  "ap-bangkok",
  "ap-mumbai",
  "ap-seoul",
  "ap-tokyo",
  "na-ashburn",
  "na-siliconvalley",
  "na-toronto",
  "eu-frankfurt",
]);

const DOCUMENTED_RATES: Record<string, number> = {
  AssumeRole: 600,
  AssumeRoleWithSAML: 200,
  AssumeRoleWithWebIdentity: 20,
  GetCallerIdentity: 20,
  GetFederationToken: 600,
  GetSessionToken: 20,
  QueryApiKey: 20,
};

export function stsRateLimit(action: string): number {
  return Object.hasOwn(DOCUMENTED_RATES, action) ? DOCUMENTED_RATES[action]! : 20;
}
