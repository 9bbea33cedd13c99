/**
 * The `networks` of an access rule: the client's address (as the trusted proxy reports it) is in
 * one of these CIDRs (`192.168.0.0/16`, `2001:db8::/32`) or equal to one of these addresses. An
 * IPv4-mapped IPv6 address (`::ffff:10.0.0.1`) counts as its IPv4 address.
 */
import { BlockList, isIP } from "node:net";

/**
 * Parses one `networks` entry.
 * @returns the network and its prefix length, or null when it is neither an address nor a CIDR
 */
export function parseNetwork(entry: string): { address: string; prefixBits: number; family: "ipv4" | "ipv6" } | null {
	const [address, bits, ...rest] = entry.trim().split("/");
	if (address === undefined || rest.length > 0) return null;
	const version = isIP(address);
	if (version === 0) return null;
	const max = version === 4 ? 32 : 128;
	const prefixBits = bits === undefined ? max : /^\d{1,3}$/.test(bits) ? Number(bits) : -1;
	if (prefixBits < 0 || prefixBits > max) return null;
	return { address, prefixBits, family: version === 4 ? "ipv4" : "ipv6" };
}

/**
 * Compiles a `networks` list (each entry valid, {@link parseNetwork}).
 * @returns a test that is true when the address is inside any entry; always true for an empty list;
 *   false for a missing or malformed address
 */
export function compileNetworkMatcher(entries: readonly string[]): (clientAddress: string | null) => boolean {
	if (entries.length === 0) return () => true;
	const list = new BlockList();
	for (const entry of entries) {
		const network = parseNetwork(entry);
		if (network === null) throw new RangeError(`not a network: ${entry}`);
		list.addSubnet(network.address, network.prefixBits, network.family);
	}
	return (clientAddress) => {
		if (clientAddress === null) return false;
		const version = isIP(clientAddress);
		if (version === 0) return false;
		return list.check(clientAddress, version === 4 ? "ipv4" : "ipv6");
	};
}

/** The names Fastify (proxy-addr) accepts in `http.trustedProxies` for ranges, and the ranges they stand for. */
export const NETWORK_KEYWORDS: Readonly<Record<string, readonly string[]>> = Object.freeze({
	loopback: ["127.0.0.0/8", "::1/128"],
	linklocal: ["169.254.0.0/16", "fe80::/10"],
	uniquelocal: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"],
});

/** An entry of `http.trustedProxies` as networks: a keyword's ranges, or the entry itself. */
export function expandNetworkKeyword(entry: string): readonly string[] {
	return Object.hasOwn(NETWORK_KEYWORDS, entry) ? (NETWORK_KEYWORDS[entry] as readonly string[]) : [entry];
}
