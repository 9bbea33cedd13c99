/** Where webhook messages may go: table cases per range, IPv4 and IPv6, mapped addresses, the allow list. */
import { describe, expect, it } from "vitest";
import { ConfigInvalid } from "../errors.js";
import { allowedNetworksProblems, isInAllowedNetworks, isWebhookAddressAllowed, specialRangeOf, type SpecialRange } from "./network-policy.js";

/** `[address, range or null for public]`. */
const RANGES: readonly (readonly [string, SpecialRange | null])[] = [
	["8.8.8.8", null],
	["1.1.1.1", null],
	["93.184.215.14", null],
	["172.15.255.255", null],
	["172.32.0.1", null],
	["100.63.255.255", null],
	["100.128.0.0", null],
	["192.169.0.1", null],
	["0.0.0.0", "unspecified"],
	["0.1.2.3", "unspecified"],
	["127.0.0.1", "loopback"],
	["127.255.255.254", "loopback"],
	["10.0.0.1", "private"],
	["10.255.255.255", "private"],
	["172.16.0.1", "private"],
	["172.31.255.255", "private"],
	["192.168.1.1", "private"],
	["169.254.169.254", "link_local"],
	["100.64.0.1", "cgnat"],
	["100.127.255.255", "cgnat"],
	["224.0.0.1", "multicast"],
	["239.255.255.250", "multicast"],
	["255.255.255.255", "reserved"],
	["240.0.0.1", "reserved"],
	["192.0.2.10", "reserved"],
	["198.18.0.1", "reserved"],
	["198.51.100.7", "reserved"],
	["203.0.113.9", "reserved"],
	["192.0.0.8", "reserved"],
	// IPv6
	["2606:4700:4700::1111", null],
	["2a00:1450:4001:80b::200e", null],
	["::", "unspecified"],
	["::1", "loopback"],
	["[::1]", "loopback"],
	["0:0:0:0:0:0:0:1", "loopback"],
	["fe80::1", "link_local"],
	["fe80::1%eth0", "link_local"],
	["fd00::1", "unique_local"],
	["fc12:3456::1", "unique_local"],
	["ff02::1", "multicast"],
	["2001:db8::1", "reserved"],
	["2001:0:4136:e378:8000:63bf:3fff:fdd2", "reserved"],
	["2002:7f00:1::1", "reserved"],
	["fec0::1", "reserved"],
	["::127.0.0.1", "reserved"],
	// IPv4-mapped IPv6: judged as the IPv4 address inside
	["::ffff:127.0.0.1", "loopback"],
	["::ffff:7f00:1", "loopback"],
	["0:0:0:0:0:ffff:a00:1", "private"],
	["::ffff:169.254.169.254", "link_local"],
	["::ffff:8.8.8.8", null],
	// NAT64 (RFC 6052): judged as the IPv4 address inside
	["64:ff9b::8.8.8.8", null],
	["64:ff9b::7f00:1", "loopback"],
	["64:ff9b::a00:1", "private"],
	["64:ff9b:1::1", "reserved"],
	// Not an address at all
	["localhost", "reserved"],
	["", "reserved"],
	["127.1", "reserved"],
	["0x7f000001", "reserved"],
];

describe("specialRangeOf", () => {
	it.each(RANGES)("%s is %s", (address, range) => {
		expect(specialRangeOf(address)).toBe(range);
	});
});

describe("isWebhookAddressAllowed", () => {
	it.each(RANGES)("without allowed networks, %s (%s) is allowed only when public", (address, range) => {
		expect(isWebhookAddressAllowed(address, [])).toBe(range === null);
	});

	/** `[address, allowedNetworks, allowed]`. */
	const ALLOWED: readonly (readonly [string, readonly string[], boolean])[] = [
		["127.0.0.1", ["127.0.0.0/8"], true],
		["127.0.0.1", ["127.0.0.1"], true],
		["127.0.0.2", ["127.0.0.1/32"], false],
		["::ffff:127.0.0.1", ["127.0.0.0/8"], true],
		["10.1.2.3", ["10.0.0.0/8"], true],
		["10.1.2.3", ["10.0.0.0/16"], false],
		["192.168.1.1", ["10.0.0.0/8"], false],
		["192.168.1.1", ["10.0.0.0/8", "192.168.0.0/16"], true],
		["100.64.1.1", ["100.64.0.0/10"], true],
		["::1", ["::1/128"], true],
		["::1", ["127.0.0.0/8"], false],
		["fd12::5", ["fd00::/8"], true],
		["fe80::1%eth0", ["fe80::/10"], true],
		// Never unicast destinations: the allow list does not open them.
		["0.0.0.0", ["0.0.0.0/0"], false],
		["::", ["::/0"], false],
		["224.0.0.1", ["224.0.0.0/4"], false],
		["ff02::1", ["ff00::/8"], false],
		["not-an-ip", ["0.0.0.0/0"], false],
		// A public address needs no listing, and stays allowed with any list.
		["8.8.8.8", ["10.0.0.0/8"], true],
	];
	it.each(ALLOWED)("%s with %j: %s", (address, networks, allowed) => {
		expect(isWebhookAddressAllowed(address, networks)).toBe(allowed);
	});

	it("throws ConfigInvalid for an allow list that is not CIDRs (when it is consulted)", () => {
		expect(() => isWebhookAddressAllowed("10.0.0.1", ["10.0.0.0/33"])).toThrow(ConfigInvalid);
		expect(() => isInAllowedNetworks("10.0.0.1", ["ten"])).toThrow(/webhooks.allowedNetworks\[0\]/);
	});
});

describe("allowedNetworksProblems", () => {
	it.each([
		["10.0.0.0/8", true],
		["10.0.0.0", true],
		["fd00::/8", true],
		["::1/128", true],
		["0.0.0.0/0", true],
		["10.0.0.0/33", false],
		["fd00::/129", false],
		["10.0.0.0/", false],
		["10.0.0.0/8/8", false],
		["10.0.0.0/-1", false],
		["10.0.0/8", false],
		["fe80::1%eth0/64", false],
		["example.com/24", false],
		["", false],
	])("%s valid: %s", (network, valid) => {
		expect(allowedNetworksProblems([network])).toHaveLength(valid ? 0 : 1);
	});

	it("names each bad entry with its index", () => {
		expect(allowedNetworksProblems(["10.0.0.0/8", "nope", "1.2.3.4/40"])).toEqual([
			'webhooks.allowedNetworks[1]: "nope" is not a CIDR such as 10.0.0.0/8 or fd00::/8 (or one address)',
			'webhooks.allowedNetworks[2]: "1.2.3.4/40" is not a CIDR such as 10.0.0.0/8 or fd00::/8 (or one address)',
		]);
	});
});
