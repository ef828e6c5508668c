// Where the `tclocal` subcommands that are clients of a running tclocal (`admin`, `tccli`, `terraform`) find
// it, and the key pair they sign with: one rule for all of them, the one the README documents.
import type { AdminCredentials } from "./admin-client.js";
import { DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY } from "./auth/keys.js";
import { DEFAULTS } from "./config.js";

export interface LocalTarget {
  /** TCLOCAL_ENDPOINT, else http://127.0.0.1:$TCLOCAL_PORT (port 4577 by default). */
  endpoint: string;
  /** TCLOCAL_SECRET_ID and TCLOCAL_SECRET_KEY, else the development key pair: the server's own default. */
  credentials: AdminCredentials;
}

export function localTarget(env: NodeJS.ProcessEnv): LocalTarget {
  return {
    endpoint: env.TCLOCAL_ENDPOINT || `http://127.0.0.1:${env.TCLOCAL_PORT || DEFAULTS.port}`,
    credentials: {
      secretId: env.TCLOCAL_SECRET_ID || DEFAULT_SECRET_ID,
      secretKey: env.TCLOCAL_SECRET_KEY || DEFAULT_SECRET_KEY,
    },
  };
}
