/**
 * Names people give to things shown back to them and to others (an authenticator app, an access
 * token): what a name may hold so that it reads as what it is.
 */

/**
 * Characters a display name must not hold: control characters (Unicode category Cc), format
 * characters (Cf: bidi overrides and isolates such as U+202E, zero-width spaces), lone surrogates
 * (Cs), private-use characters (Co), line and paragraph separators (Zl, Zp: a line break in a
 * plain-text mail), and the letters and marks that show as nothing (the Hangul fillers U+115F,
 * U+1160, U+3164, U+FFA0, the braille blank U+2800, the Khmer inherent vowels U+17B4-U+17B5, the
 * combining grapheme joiner U+034F). They let a name show as another one, or as none (Unicode
 * Technical Report #36, "Unicode Security Considerations", §2.4 bidirectional text spoofing;
 * Unicode's Default_Ignorable_Code_Point). The zero-width joiner U+200D is kept: emoji sequences
 * need it.
 */
const HIDDEN_CHARACTERS = /(?!\u200d)[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Zl}\p{Zp}\u115F\u1160\u3164\uFFA0\u2800\u17B4\u17B5\u034F]/u;

/** A character that shows: a letter, a digit, a symbol (emoji included) or punctuation. */
const VISIBLE_CHARACTER = /[\p{L}\p{N}\p{S}\p{P}]/u;

/** Whether `text` holds a character that is invisible or changes how the text around it shows ({@link HIDDEN_CHARACTERS}). */
export function hasHiddenCharacters(text: string): boolean {
	return HIDDEN_CHARACTERS.test(text);
}

/**
 * Whether `text` can stand as a display name: no hidden character ({@link hasHiddenCharacters}) and
 * at least one that shows (a letter, digit, symbol or punctuation: not only spaces or combining marks).
 */
export function isDisplayableName(text: string): boolean {
	return !hasHiddenCharacters(text) && VISIBLE_CHARACTER.test(text);
}
