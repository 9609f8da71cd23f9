// Text rules of SPEC §13: every request string is well-formed Unicode before anything reads it;
// identifiers never hold control characters; agent free text is never refused for its content.

/**
 * A `\uD800`–`\uDFFF` escape somewhere in JSON text. Decoded UTF-8 never holds a lone surrogate,
 * so in a request body one can only come from such an escape; a body without one is left as is.
 */
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;

/**
 * Every backslash escape of JSON text, a surrogate pair's two escapes as one match, so that an
 * escaped backslash (`\\`) is consumed whole and never mistaken for the start of an escape.
 */
const JSON_ESCAPE = /\\(?:u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|[^])/g;

const LONE_SURROGATE_ESCAPE = /^\\u[dD][89a-fA-F]/;

/**
 * JSON text whose strings (values and keys) parse as well-formed Unicode: each escape of a lone
 * UTF-16 surrogate becomes `\ufffd` (U+FFFD), as `String.prototype.toWellFormed` would make it.
 * Works on the text, not on parsed values, so numbers, order and anything malformed are left
 * exactly as sent for the validators to judge; text without surrogate escapes is returned as is.
 */
export function wellFormedJsonText(text: string): string {
  if (!SURROGATE_ESCAPE.test(text)) return text;
  return text.replace(JSON_ESCAPE, (escape) =>
    escape.length === 6 && LONE_SURROGATE_ESCAPE.test(escape) ? "\\ufffd" : escape,
  );
}

/** Text without C0 control characters (U+0000–U+001F), which are never part of an identifier (SPEC §13). */
export const WITHOUT_CONTROL_CHARACTERS = /^[^\u0000-\u001f]*$/;

/** True when `text` holds a C0 control character (NUL included). */
export function hasControlCharacter(text: string): boolean {
  return !WITHOUT_CONTROL_CHARACTERS.test(text);
}

/**
 * Agent free text with each NUL as U+FFFD: SQLite ends text at a NUL on the way back, so a stored
 * NUL would silently cut off everything after it.
 */
export function withoutNul(text: string): string {
  return text.includes("\0") ? text.replaceAll("\0", "\ufffd") : text;
}

/** The marker standing where `cut` characters were taken out of stored text. */
export const truncationMarker = (cut: number) => `[… ${cut} characters cut …]`;

/**
 * `text` when it has at most `max` characters (UTF-16 code units, as string lengths count);
 * otherwise its first and last `max / 2` characters around a marker saying how many were cut
 * (a failing command's stderr starts with what ran and ends with why it failed). Never splits a
 * surrogate pair.
 */
export function capText(text: string, max: number): string {
  if (text.length <= max) return text;
  let headEnd = Math.ceil(max / 2);
  let tailStart = text.length - Math.floor(max / 2);
  if (isHighSurrogate(text.charCodeAt(headEnd - 1))) headEnd--;
  if (isLowSurrogate(text.charCodeAt(tailStart))) tailStart++;
  return `${text.slice(0, headEnd)}${truncationMarker(tailStart - headEnd)}${text.slice(tailStart)}`;
}

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;
const isLowSurrogate = (code: number) => code >= 0xdc00 && code <= 0xdfff;
