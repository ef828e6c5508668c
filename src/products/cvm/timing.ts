// How long each transition takes, by profile. `fast` is the default: quick enough for tests, slow enough
// that clients see the transitional states they must handle (PENDING, STOPPING, …).

export type TimingProfile = "instant" | "fast" | "realistic";

export type Phase = "launch" | "start" | "stop" | "reboot" | "terminate" | "operation";

export const TIMING_PROFILES: Record<TimingProfile, Record<Phase, number>> = {
  instant: { launch: 0, start: 0, stop: 0, reboot: 0, terminate: 0, operation: 0 },
  fast: { launch: 1500, start: 1000, stop: 1000, reboot: 1000, terminate: 1000, operation: 500 },
  realistic: { launch: 40_000, start: 20_000, stop: 20_000, reboot: 30_000, terminate: 20_000, operation: 8_000 },
};

export function isTimingProfile(name: string): name is TimingProfile {
  return Object.hasOwn(TIMING_PROFILES, name);
}
