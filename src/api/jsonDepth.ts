// How deep a JSON text nests, found by one linear scan before it is parsed: a body nested a
// million deep is refused for the cost of reading it, not of building a million objects.

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/**
 * Whether `text` opens more than `max` arrays or objects inside each other. Brackets inside
 * strings do not count. A text that is not JSON may be judged either way: the parser refuses it.
 *
 * @example
 * jsonDepthExceeds('[[1]]', 1); // true
 * jsonDepthExceeds('{"a":"[[["}', 1); // false
 */
export function jsonDepthExceeds(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > max) return true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--;
  }
  return false;
}
