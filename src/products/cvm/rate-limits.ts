// Documented default request rates (requests per second, per account and action) from the CVM API
// overview and each action's page. Actions without a documented figure get 20 for queries, 10 otherwise.

const DOCUMENTED: Record<string, number> = {
  DescribeRegions: 20, DescribeZones: 20, RunInstances: 10, DescribeInstances: 40, DescribeInstancesStatus: 40,
  DescribeInstanceTypeConfigs: 40, DescribeZoneInstanceConfigInfos: 40, DescribeInstanceFamilyConfigs: 10,
  DescribeInstancesOperationLimit: 10, DescribeInstanceVncUrl: 10, DescribeInstancesAttributes: 20,
  DescribeInstancesModification: 20, DescribeAccountQuota: 20, DescribeInstancesActionTimer: 10,
  ImportInstancesActionTimer: 10, DeleteInstancesActionTimer: 10, StartInstances: 10, StopInstances: 10,
  RebootInstances: 10, TerminateInstances: 10, ResetInstance: 10, ResetInstancesPassword: 10, ResetInstancesType: 10,
  ResizeInstanceDisks: 10, ModifyInstancesAttribute: 10, ModifyInstancesProject: 10, ModifyInstancesChargeType: 10,
  ModifyInstancesRenewFlag: 10, RenewInstances: 10, ModifyInstanceDiskType: 20, ModifyInstancesDisasterRecoverGroup: 20,
  EnterRescueMode: 20, ExitRescueMode: 20, ProgramFpgaImage: 20, InquiryPriceRunInstances: 10,
  InquiryPriceRenewInstances: 10, InquiryPriceResetInstance: 10, InquiryPriceResetInstancesType: 10,
  InquiryPriceModifyInstancesChargeType: 10, InquiryPriceResizeInstanceDisks: 10, InquiryPriceTerminateInstances: 10,
  InquirePricePurchaseReservedInstancesOffering: 20, DescribeImages: 40, CreateImage: 10, DeleteImages: 10,
  ImportImage: 10, SyncImages: 10, DescribeImageQuota: 10, DescribeImageFromFamily: 20, CreateKeyPair: 10,
  ImportKeyPair: 10, DeleteKeyPairs: 10, DescribeKeyPairs: 10, AssociateInstancesKeyPairs: 10,
  CreateLaunchTemplate: 20, CreateLaunchTemplateVersion: 20, DescribeLaunchTemplates: 20,
  DescribeLaunchTemplateVersions: 20, CreateDisasterRecoverGroup: 10, DescribeDisasterRecoverGroups: 10,
  DescribeDisasterRecoverGroupQuota: 20,
};

export function cvmRateLimit(action: string): number {
  return DOCUMENTED[action] ?? (/^(Describe|Inquir)/.test(action) ? 20 : 10);
}
