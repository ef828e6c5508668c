// Opt-in refusal of a TC3 signature reused for another action, region or version (--signature-reuse refuse).
//
// The official SDKs sign only content-type and host, so X-TC-Action, X-TC-Region and X-TC-Version are outside
// their signature, on the real service too: by default a captured request can be replayed with those changed
// while its timestamp is in the window. This guard remembers what each signature was first used for until the
// signature expires. It also refuses a legitimate pair: two calls of different actions with the same body in
// the same second carry the same signature (DescribeRegions and DescribeZones sent together with `{}`), which
// is why it is off by default.

/** What a request was for, beyond its signed parts: the headers as received. */
export interface SignatureUse {
  action: string;
  region: string;
  version: string;
}

/** How many signatures are remembered at most; past it the oldest are forgotten first. */
const MAX_REMEMBERED = 200_000;

/**
 * First uses kept outside this process (in a database that several nodes share): records `use` as the first
 * use of `signature` unless one is recorded and unexpired, and answers the first use.
 */
export type SharedFirstUses = (signature: string, use: SignatureUse, expiresAt: number, now: number) => Promise<SignatureUse>;

export class SignatureReuseGuard {
  /** signature → its first use and when it stops being accepted (ms); in insertion order, which is about expiry order. */
  private readonly uses = new Map<string, { use: SignatureUse; expiresAt: number }>();

  /** `windowSeconds`: a signature is accepted while its timestamp is within this of the server's time. */
  constructor(
    private readonly windowSeconds: number,
    private readonly shared?: SharedFirstUses,
  ) {}

  /**
   * Records the first use of a verified signature made at `timestampSeconds`, and returns that first use when
   * this one differs from it (the caller refuses the request); undefined when the request may go on.
   */
  check(signature: string, use: SignatureUse, timestampSeconds: number, now: number): SignatureUse | undefined | Promise<SignatureUse | undefined> {
    const expiresAt = (timestampSeconds + this.windowSeconds) * 1000;
    if (this.shared) return this.shared(signature, use, expiresAt, now).then((first) => (sameUse(first, use) ? undefined : first));
    this.forgetExpired(now);
    const first = this.uses.get(signature);
    if (first !== undefined) return sameUse(first.use, use) ? undefined : first.use;
    if (this.uses.size >= MAX_REMEMBERED) this.uses.delete(this.uses.keys().next().value!);
    this.uses.set(signature, { use, expiresAt });
    return undefined;
  }

  private forgetExpired(now: number): void {
    for (const [signature, { expiresAt }] of this.uses) {
      if (expiresAt >= now) return;
      this.uses.delete(signature);
    }
  }
}

function sameUse(a: SignatureUse, b: SignatureUse): boolean {
  return a.action === b.action && a.region === b.region && a.version === b.version;
}
