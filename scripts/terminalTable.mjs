// Table cells for the terminal that stay aligned with Korean in them: Korean, CJK and emoji take two
// terminal columns, so cells are cut and padded by display width, not by characters.
const WIDE =
  /[\u1100-\u115F\u2E80-\uA4CF\uAC00-\uD7A3\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFF60\uFFE0-\uFFE6]|\p{Extended_Pictographic}/u;

/** How many terminal columns `text` takes. */
export const widthOf = (text) => [...text].reduce((sum, char) => sum + (WIDE.test(char) ? 2 : 1), 0);

/** `text` cut (with "…") or padded to `width` columns; whitespace runs become one space. */
export function cell(text, width) {
  let out = "";
  let used = 0;
  const chars = [...String(text).replace(/\s+/g, " ")];
  for (const [index, char] of chars.entries()) {
    const charWidth = WIDE.test(char) ? 2 : 1;
    const room = index === chars.length - 1 ? width : width - 1;
    if (used + charWidth > room) {
      out += "…";
      used += 1;
      break;
    }
    out += char;
    used += charWidth;
  }
  return out + " ".repeat(Math.max(0, width - used));
}

/** A token as the scripts show it: its last 6 characters only, never the whole token. */
export const tokenTail = (token) => `…${token.slice(-6)}`;
