// The STS actions tclocal implements: thin functions over the rules in federation.ts and identity.ts.
// Temporary credentials live with the account's keys, in the core credentials table (AccountRepository).
import type * as M from "tencentcloud-sdk-nodejs-sts/tencentcloud/services/sts/v20180813/sts_models.js";
import { newSecretId, newSecretKey, newToken } from "../../auth/keys.js";
import type { TypedHandler } from "../../gateway/product.js";
import { AccountRepository } from "../../store/accounts.js";
import { checkFederationRequest, expiryOf, iso8601Seconds } from "./federation.js";
import { callerIdentity } from "./identity.js";

/**
 * Expired temporary credentials are kept this long (resource time) so that a request made with them is
 * answered AuthFailure.TokenFailure, not SecretIdNotFound; then the next GetFederationToken drops them.
 */
export const EXPIRED_CREDENTIAL_RETENTION_MS = 24 * 3600_000;

export const getFederationToken: TypedHandler<M.GetFederationTokenRequest, M.GetFederationTokenResponse> = async (ctx, req) => {
  const grant = checkFederationRequest(ctx.caller, req);
  const now = ctx.clock.now();
  const expiresAt = expiryOf(now, grant.durationSeconds);
  const credentials = { Token: newToken(), TmpSecretId: newSecretId(), TmpSecretKey: newSecretKey() };
  const accounts = new AccountRepository(ctx.sql);
  await accounts.deleteExpiredCredentials(now - EXPIRED_CREDENTIAL_RETENTION_MS);
  await accounts.putCredential(
    {
      secretId: credentials.TmpSecretId,
      secretKey: credentials.TmpSecretKey,
      accountUin: ctx.account.uin,
      token: credentials.Token,
      expiresAt,
      federatedUserName: grant.name,
      policy: grant.policy,
    },
    now,
  );
  return { Credentials: credentials, ExpiredTime: expiresAt / 1000, Expiration: iso8601Seconds(expiresAt) };
};

export const getCallerIdentity: TypedHandler<M.GetCallerIdentityRequest, M.GetCallerIdentityResponse> = (ctx) =>
  callerIdentity(ctx.account, ctx.caller);
