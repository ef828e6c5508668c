// Who a credential stands for, as GetCallerIdentity answers it (API page "GetCallerIdentity", 获取当前调用者的
// 身份信息, and its examples): every tclocal account is a root account, so for its permanent key the user is
// the account itself; credentials from GetFederationToken stand for a federated user of that account.
//
//   permanent key       Arn qcs::cam:<uin>:uin/<uin>               UserId <uin>         Type CAMUser
//   federated user      Arn qcs::sts:<uin>:federated-user/<uin>    UserId <uin>:<name>  Type CAMUser
//
// AccountId is the root account's UIN and PrincipalId the UIN of the account whose key was used (here the
// same). The documented federated-user example is `qcs::sts:<owner uin>:federated-user/<principal uin>`,
// without the name (the name is in UserId); the sub-account example is `qcs::cam:<owner uin>:uin/<uin>`.
import type { Caller } from "../../auth/authenticate.js";
import type { Account } from "../../store/accounts.js";

export interface CallerIdentity {
  Arn: string;
  AccountId: string;
  UserId: string;
  PrincipalId: string;
  Type: string;
}

export function callerIdentity(account: Account, caller: Caller): CallerIdentity {
  const uin = account.uin;
  if (caller.federatedUserName !== undefined) {
    return {
      Arn: `qcs::sts:${uin}:federated-user/${uin}`,
      AccountId: uin,
      UserId: `${uin}:${caller.federatedUserName}`,
      PrincipalId: uin,
      Type: "CAMUser",
    };
  }
  return { Arn: `qcs::cam:${uin}:uin/${uin}`, AccountId: uin, UserId: uin, PrincipalId: uin, Type: "CAMUser" };
}
