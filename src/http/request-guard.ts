// What keeps web pages away from tclocal. A page the user opens can post forms to 127.0.0.1, and a
// DNS-rebinding page can even read the answers, because its requests look same-origin to the browser.
// Two checks stop both, without touching any official client:
// - the Host must be a name tclocal answers to. A rebinding page's requests carry the attacker's domain
//   as their Host; the clients send an address, a loopback name, a *.tencentcloudapi.com name (through
//   HTTP_PROXY), tccli's `http://127.0.0.1:4577`, or a domain the operator allows (Terraform's `domain`).
// - a browser marks its requests: `Origin` on every cross-origin POST, `Sec-Fetch-Site` on everything
//   (modern browsers). No official client sends either, and tclocal serves no pages, so any request a
//   page made on another site is refused. A URL typed into the address bar (`Sec-Fetch-Site: none`) is not.
import { isIP } from "node:net";
import { hostname as machineName } from "node:os";

export interface HostPolicy {
  /** Operator-allowed names; each also allows its subdomains. "*" allows every Host. */
  allowedHosts: readonly string[];
}

const ALWAYS_ALLOWED_DOMAINS = ["localhost", "tencentcloudapi.com"];
/** This machine's name, as clients on the network may call it (read once: not a syscall per request). */
const MACHINE_NAME = machineName().toLowerCase();

/** The host name a Host header names, lower case, without scheme, port, brackets or trailing dot. */
export function hostNameOf(hostHeader: string): string {
  let host = hostHeader.trim().toLowerCase().replace(/^[a-z][a-z0-9+.-]*:\/\//, "");
  host = host.replace(/[/?#].*$/, "").replace(/^[^@]*@/, "");
  if (host.startsWith("[")) return host.slice(1, host.indexOf("]") >= 0 ? host.indexOf("]") : undefined);
  // A bare IPv6 address (a listen address such as ::1) has colons but no port.
  if (isIP(host) === 6) return host;
  return host.replace(/:\d*$/, "").replace(/\.$/, "");
}

function withinDomain(name: string, domain: string): boolean {
  return name === domain || name.endsWith(`.${domain}`);
}

export function isLoopbackAddress(host: string): boolean {
  const name = hostNameOf(host);
  return name === "localhost" || name === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name) || /^::ffff:127\./.test(name);
}

/**
 * Whether tclocal answers a request with this Host header. Any IP address is allowed: rebinding needs a
 * name, and an address is how clients reach a server behind NAT, a port mapping or a wildcard listen.
 */
export function hostAllowed(hostHeader: string | undefined, policy: HostPolicy): boolean {
  if (hostHeader === undefined) return true;
  const name = hostNameOf(hostHeader);
  if (name === "" || isIP(name) !== 0) return true;
  if (name === MACHINE_NAME || name === MACHINE_NAME.split(".")[0]) return true;
  return [...ALWAYS_ALLOWED_DOMAINS, ...policy.allowedHosts].some((domain) => domain === "*" || withinDomain(name, domain.toLowerCase().replace(/^\*?\./, "")));
}

/** Whether a browser sent this request on behalf of a page (of another site, since tclocal serves none). */
export function sentByWebPage(headers: Readonly<Record<string, string>>): boolean {
  if (Object.hasOwn(headers, "origin")) return true;
  const site = Object.hasOwn(headers, "sec-fetch-site") ? headers["sec-fetch-site"]!.trim().toLowerCase() : undefined;
  return site !== undefined && site !== "none";
}
