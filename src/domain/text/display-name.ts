/**
 * Names people give to things shown back to them and to others (an authenticator app, an access
 * token): what a name may hold so that it reads as what it is.
 */

/**
 * Characters a display name must not hold: control characters (Unicode category Cc), format
 * characters (Cf: bidi overrides and isolates such as U+202E, zero-width spaces), lone surrogates
 * (Cs) and private-use characters (Co). They let a name show as another one (Unicode Technical
 * Report #36, "Unicode Security Considerations", §2.4 bidirectional text spoofing). The zero-width
 * joiner U+200D is kept: emoji sequences need it.
 */
const HIDDEN_CHARACTERS = /(?!\u200d)[\p{Cc}\p{Cf}\p{Cs}\p{Co}]/u;

/** Whether `text` holds a character that is invisible or changes how the text around it shows ({@link HIDDEN_CHARACTERS}). */
export function hasHiddenCharacters(text: string): boolean {
	return HIDDEN_CHARACTERS.test(text);
}
