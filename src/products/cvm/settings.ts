// What a user can configure about CVM's behaviour.
import type { TimingProfile } from "./timing.js";

export interface CvmSettings {
  /** How long transitions take. */
  timing: TimingProfile;
  /** Instances each account may hold per zone and charge type. */
  instanceQuota: number;
}

export const DEFAULT_CVM_SETTINGS: CvmSettings = { timing: "fast", instanceQuota: 500 };
