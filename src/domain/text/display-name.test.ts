import { describe, expect, it } from "vitest";
import { hasHiddenCharacters, isDisplayableName } from "./display-name.js";

describe("hasHiddenCharacters", () => {
	it("refuses control, bidi, zero-width, private-use and lone surrogate characters", () => {
		for (const text of ["a\u0000b", "tab\there", "del\u007f", "Phone\u202Eenohp", "\u2066isolate\u2069", "zero\u200Bwidth", "mark\u200Fright", "\uE000private", "lone\uD800", "line\u2028break", "\u3164\u3164", "blank\u2800", "a\u034Fb"]) {
			expect(hasHiddenCharacters(text), JSON.stringify(text)).toBe(true);
		}
	});
	it("keeps letters of every script, spaces, emoji and emoji sequences with a zero-width joiner", () => {
		for (const text of ["Work phone", "Téléphone", "手机", "هاتف", "Phone 📱", "👩\u200D💻 laptop", "❤️ tablet"]) {
			expect(hasHiddenCharacters(text), text).toBe(false);
		}
	});
	it("a displayable name has something that shows: not only spaces or combining marks", () => {
		for (const text of ["Work phone", "📱", "手机", "#2"]) expect(isDisplayableName(text), text).toBe(true);
		for (const text of ["\u0301\u0301", "\u3164", " ", "Phone\u202E"]) expect(isDisplayableName(text), JSON.stringify(text)).toBe(false);
	});
});
