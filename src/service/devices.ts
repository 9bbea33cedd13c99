/**
 * A device as people recognize it, from a User-Agent header ("Chrome on Linux"), parsed by the
 * `bowser` library. Shown in session and trusted-device lists; never used for a security decision
 * (a User-Agent is whatever the client says, OWASP MFA Cheat Sheet "Adaptive/Risk-Based").
 */
import Bowser from "bowser";

/** What a User-Agent says about the device. */
export interface DeviceDescription {
	/** Browser name, e.g. `"Chrome"`; null when unknown. */
	readonly browser: string | null;
	/** Operating system name, e.g. `"macOS"`; null when unknown. */
	readonly os: string | null;
	/** `"desktop"`, `"mobile"`, `"tablet"`, ...; null when unknown. */
	readonly platform: string | null;
	/** One line for people, e.g. `"Chrome on Linux"`, `"Other client (curl/8.5.0)"` or `"Unknown device"`. */
	readonly label: string;
}

/**
 * How many User-Agent texts {@link describeDevice} remembers: a sign-in compares its device with
 * those of the account's recent sign-ins, and parsing each with bowser cost more than the rest of
 * the check; the same few texts come again and again.
 */
const DESCRIBED_DEVICES_KEPT = 512;
const describedDevices = new Map<string, DeviceDescription>();

/** Describes the device behind a User-Agent header (null: unknown). */
export function describeDevice(userAgent: string | null): DeviceDescription {
	if (userAgent === null || userAgent.trim() === "") return UNKNOWN_DEVICE;
	const known = describedDevices.get(userAgent);
	if (known !== undefined) return known;
	const described = Object.freeze(parseDevice(userAgent));
	// Oldest first out when full (a Map keeps insertion order).
	if (describedDevices.size >= DESCRIBED_DEVICES_KEPT) describedDevices.delete(describedDevices.keys().next().value as string);
	describedDevices.set(userAgent, described);
	return described;
}

const UNKNOWN_DEVICE: DeviceDescription = Object.freeze({ browser: null, os: null, platform: null, label: "Unknown device" });

/** {@link describeDevice} without the memory: bowser's reading of a non-blank User-Agent. */
function parseDevice(userAgent: string): DeviceDescription {
	const parsed = Bowser.parse(userAgent);
	const browser = nonEmpty(parsed.browser.name);
	const os = nonEmpty(parsed.os.name);
	const platform = nonEmpty(parsed.platform.type);
	// A client bowser does not know (curl, an integrator's backend) shows the start of what it sent.
	const label = browser !== null && os !== null ? `${browser} on ${os}` : (browser ?? os ?? `Other client (${userAgent.trim().slice(0, 40)})`);
	return { browser, os, platform, label };
}

/** The text, or null when missing or blank (bowser says "" for some unknown fields). */
function nonEmpty(text: string | undefined): string | null {
	return text === undefined || text.trim() === "" ? null : text;
}
