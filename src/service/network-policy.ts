/**
 * Where webhook messages may go (docs/webhooks.md, "Private networks"): an address on the public
 * internet, or one inside `webhooks.allowedNetworks`. Private (RFC 1918), loopback, link-local,
 * unique-local (RFC 4193), CGNAT (RFC 6598) and the other special-purpose ranges are refused
 * unless listed, so an admin API key cannot turn deadbolt into a probe of its own network (SSRF).
 * Checked when an endpoint is added (`webhook-endpoints.ts`, every address the host resolves to)
 * and again at connect time by the sender (DNS rebinding). Pure: no I/O.
 * @see https://www.iana.org/assignments/iana-ipv4-special-registry/ (IPv4 special-purpose address registry)
 * @see https://www.iana.org/assignments/iana-ipv6-special-registry/ (IPv6 special-purpose address registry)
 */
import { BlockList, isIP } from "node:net";
import { ConfigInvalid } from "../errors.js";

/** Why an address is not on the public internet. */
export type SpecialRange = "unspecified" | "loopback" | "private" | "link_local" | "unique_local" | "cgnat" | "multicast" | "reserved";

/** `[network, prefix bits, range]`; the first match names the range. */
const SPECIAL_RANGES: readonly (readonly [string, number, SpecialRange])[] = [
	// IPv4
	["0.0.0.0", 8, "unspecified"], // "this network"; 0.0.0.0 reaches the local host on Linux
	["10.0.0.0", 8, "private"],
	["100.64.0.0", 10, "cgnat"],
	["127.0.0.0", 8, "loopback"],
	["169.254.0.0", 16, "link_local"], // cloud metadata services live here (169.254.169.254)
	["172.16.0.0", 12, "private"],
	["192.0.0.0", 24, "reserved"], // IETF protocol assignments
	["192.0.2.0", 24, "reserved"], // TEST-NET-1
	["192.88.99.0", 24, "reserved"], // 6to4 relay anycast (deprecated)
	["192.168.0.0", 16, "private"],
	["198.18.0.0", 15, "reserved"], // benchmarking
	["198.51.100.0", 24, "reserved"], // TEST-NET-2
	["203.0.113.0", 24, "reserved"], // TEST-NET-3
	["224.0.0.0", 4, "multicast"],
	["240.0.0.0", 4, "reserved"], // future use, and 255.255.255.255 broadcast
	// IPv6 (IPv4-mapped ::ffff:0:0/96 is checked against the IPv4 ranges by BlockList itself)
	["::", 128, "unspecified"],
	["::1", 128, "loopback"],
	["::", 96, "reserved"], // IPv4-compatible (deprecated)
	["64:ff9b:1::", 48, "reserved"], // local-use IPv4/IPv6 translation
	["100::", 64, "reserved"], // discard-only
	["2001::", 23, "reserved"], // IETF protocol assignments, Teredo included
	["2001:db8::", 32, "reserved"], // documentation
	["2002::", 16, "reserved"], // 6to4: carries an IPv4 address of any kind
	["3fff::", 20, "reserved"], // documentation
	["5f00::", 16, "reserved"], // segment routing (SRv6) SIDs
	["fc00::", 7, "unique_local"],
	["fe80::", 10, "link_local"],
	["fec0::", 10, "reserved"], // site-local (deprecated)
	["ff00::", 8, "multicast"],
];

/** Ranges never reachable as a unicast destination: refused even when `allowedNetworks` covers them. */
const NEVER_ALLOWED: ReadonlySet<SpecialRange> = new Set(["unspecified", "multicast"]);

const familyOf = (address: string): "ipv4" | "ipv6" | null => {
	const version = isIP(address);
	return version === 4 ? "ipv4" : version === 6 ? "ipv6" : null;
};

/** One BlockList per special range, built once. */
const SPECIAL_LISTS: readonly (readonly [SpecialRange, BlockList])[] = (() => {
	const lists = new Map<SpecialRange, BlockList>();
	for (const [network, prefix, range] of SPECIAL_RANGES) {
		const list = lists.get(range) ?? new BlockList();
		list.addSubnet(network, prefix, familyOf(network)!);
		lists.set(range, list);
	}
	// First match names the range: the narrow ones (unspecified, loopback) before the wide reserved ::/96.
	const order: SpecialRange[] = ["unspecified", "loopback", "private", "link_local", "unique_local", "cgnat", "multicast", "reserved"];
	return order.map((range) => [range, lists.get(range)!] as const);
})();

/** The well-known NAT64 prefix (RFC 6052): its addresses carry an IPv4 address in their last 32 bits. */
const NAT64 = new BlockList();
NAT64.addSubnet("64:ff9b::", 96, "ipv6");

/** The IPv4 address in the last 32 bits of an IPv6 address. */
function embeddedIPv4(ipv6: string): string {
	// The URL parser writes IPv6 compressed, in hex groups only (`64:ff9b::7f00:1`).
	const groups = new URL(`http://[${ipv6}]/`).hostname.slice(1, -1).split(":");
	const value = (group: string | undefined): number => (group === undefined || group === "" ? 0 : Number.parseInt(group, 16));
	const high = value(groups.at(-2));
	const low = value(groups.at(-1));
	return [high >> 8, high & 0xff, low >> 8, low & 0xff].join(".");
}

/** An address without brackets or an IPv6 zone (`[fe80::1%eth0]` → `fe80::1`). */
function bareAddress(ip: string): string {
	const unbracketed = ip.startsWith("[") && ip.endsWith("]") ? ip.slice(1, -1) : ip;
	const zone = unbracketed.indexOf("%");
	return zone === -1 ? unbracketed : unbracketed.slice(0, zone);
}

/**
 * The special-purpose range an address lies in, or null for a public (globally routable) address.
 * IPv4-mapped IPv6 addresses (`::ffff:127.0.0.1`) are judged as the IPv4 address they carry.
 * @param ip - an IPv4 or IPv6 address in text form (brackets and a zone are ignored)
 * @returns the range, `"reserved"` for text that is no IP address at all, null when public
 */
export function specialRangeOf(ip: string): SpecialRange | null {
	const address = bareAddress(ip);
	const family = familyOf(address);
	if (family === null) return "reserved";
	if (family === "ipv6" && NAT64.check(address, "ipv6")) return specialRangeOf(embeddedIPv4(address));
	for (const [range, list] of SPECIAL_LISTS) if (list.check(address, family)) return range;
	return null;
}

/**
 * Parses `webhooks.allowedNetworks`: CIDRs (`10.0.0.0/8`, `fd00::/8`) or single addresses
 * (`192.168.1.10`, i.e. /32 or /128).
 * @returns the problems, one sentence each (empty when every entry is valid)
 */
export function allowedNetworksProblems(networks: readonly string[]): string[] {
	return networks.flatMap((network, index) => (parseNetwork(network) === null ? [`webhooks.allowedNetworks[${index}]: "${network}" is not a CIDR such as 10.0.0.0/8 or fd00::/8 (or one address)`] : []));
}

function parseNetwork(text: string): { address: string; prefix: number; family: "ipv4" | "ipv6" } | null {
	const [address = "", prefixText, extra] = text.trim().split("/");
	const family = familyOf(address);
	if (family === null || extra !== undefined || address.includes("%")) return null;
	const maxPrefix = family === "ipv4" ? 32 : 128;
	if (prefixText === undefined) return { address, prefix: maxPrefix, family };
	if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > maxPrefix) return null;
	return { address, prefix: Number(prefixText), family };
}

/** Compiled allow lists, per config array (the config is frozen: one compile per process). */
const compiled = new WeakMap<readonly string[], BlockList>();

/**
 * The BlockList of `webhooks.allowedNetworks`.
 * @throws ConfigInvalid naming each entry that is not a CIDR (the loader refuses those at start already)
 */
function allowList(networks: readonly string[]): BlockList {
	const cached = compiled.get(networks);
	if (cached !== undefined) return cached;
	const problems = allowedNetworksProblems(networks);
	if (problems.length > 0) throw new ConfigInvalid(problems);
	const list = new BlockList();
	for (const network of networks) {
		const { address, prefix, family } = parseNetwork(network)!;
		list.addSubnet(address, prefix, family);
	}
	compiled.set(networks, list);
	return list;
}

/**
 * Whether `ip` lies inside one of `allowedNetworks`.
 * @throws ConfigInvalid when an entry of `allowedNetworks` is not a CIDR
 */
export function isInAllowedNetworks(ip: string, allowedNetworks: readonly string[]): boolean {
	const address = bareAddress(ip);
	const family = familyOf(address);
	return family !== null && allowedNetworks.length > 0 && allowList(allowedNetworks).check(address, family);
}

/**
 * Whether a webhook message may be sent to `ip`: a public address, or one inside
 * `allowedNetworks` (an operator's choice, e.g. `10.0.0.0/8` for a receiver in the same cluster).
 * Unspecified (`0.0.0.0`, `::`) and multicast addresses are never allowed; text that is no IP
 * address is not either. Keep this signature: the sender calls it with the address it is about to
 * connect to (DNS rebinding), `webhook-endpoints.ts` with every address a new endpoint's host resolves to.
 * @param ip - IPv4 or IPv6 text (IPv4-mapped IPv6 judged as its IPv4 address; brackets and zone ignored)
 * @param allowedNetworks - `webhooks.allowedNetworks`, CIDRs
 * @throws ConfigInvalid when an entry of `allowedNetworks` is not a CIDR
 */
export function isWebhookAddressAllowed(ip: string, allowedNetworks: readonly string[]): boolean {
	const range = specialRangeOf(ip);
	if (range === null) return true;
	if (NEVER_ALLOWED.has(range) || familyOf(bareAddress(ip)) === null) return false;
	return isInAllowedNetworks(ip, allowedNetworks);
}
