import type { JsonValue } from '../../approvals/types.js';

/** JSON text written up to a length; `complete` is false when the value did not fit. */
export interface BoundedJson {
  text: string;
  complete: boolean;
}

/**
 * `JSON.stringify(value, null, indent)` that stops once `max` characters are written, so a huge
 * or deeply nested value costs no more than what is shown. When incomplete, `text` is the first
 * characters of the JSON (possibly a little over `max`; callers truncate).
 */
export function boundedJson(value: JsonValue, max: number, indent = 0): BoundedJson {
  const parts: string[] = [];
  let length = 0;
  const push = (part: string): boolean => {
    parts.push(part);
    length += part.length;
    return length <= max;
  };
  const write = (item: JsonValue, depth: number): boolean => {
    if (item === null || typeof item !== 'object') {
      // A long string is cut before it is quoted: only its head can ever be shown.
      const scalar = typeof item === 'string' && item.length > max ? item.slice(0, max + 1) : item;
      return push(JSON.stringify(scalar));
    }
    const isArray = Array.isArray(item);
    const keys = isArray ? null : Object.keys(item);
    const count = keys ? keys.length : (item as JsonValue[]).length;
    const [open, close] = isArray ? ['[', ']'] : ['{', '}'];
    if (count === 0) return push(open + close);
    const inner = indent > 0 ? `\n${' '.repeat(indent * (depth + 1))}` : '';
    const outer = indent > 0 ? `\n${' '.repeat(indent * depth)}` : '';
    if (!push(open)) return false;
    for (let index = 0; index < count; index += 1) {
      if (!push(index === 0 ? inner : `,${inner}`)) return false;
      const key = keys?.[index];
      if (key !== undefined && !push(`${JSON.stringify(key)}${indent > 0 ? ': ' : ':'}`)) return false;
      const element = key === undefined ? (item as JsonValue[])[index] : (item as Record<string, JsonValue>)[key];
      if (!write(element ?? null, depth + 1)) return false;
    }
    return push(outer + close);
  };
  const complete = write(value, 0);
  return { text: parts.join(''), complete };
}

/** Where and why a text is not JSON. */
export interface JsonErrorLocation {
  /** Offset of the offending character (the text's length for a premature end). */
  position: number;
  line: number;
  column: number;
  message: string;
}

/**
 * Finds the first error in a text that `JSON.parse` refused, with a 1-based line and column.
 * Node's own messages differ between versions and often carry no position, hence this scanner.
 * Returns null when the text is valid JSON.
 */
export function locateJsonError(text: string): JsonErrorLocation | null {
  let i = 0;
  const fail = (message: string): never => {
    throw new JsonScanError(i, message);
  };
  const unexpected = (): never => {
    if (i >= text.length) return fail('Unexpected end of input');
    const char = text[i] ?? '';
    const shown = char.charCodeAt(0) < 0x20 ? `U+${char.charCodeAt(0).toString(16).padStart(4, '0')}` : char;
    return fail(`Unexpected token ${shown}`);
  };
  const skipSpace = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i] ?? '')) i += 1;
  };
  const literal = (word: string): void => {
    for (const char of word) {
      if (text[i] !== char) unexpected();
      i += 1;
    }
  };
  const digits = (): void => {
    if (!/[0-9]/.test(text[i] ?? '')) unexpected();
    while (/[0-9]/.test(text[i] ?? '')) i += 1;
  };
  const number = (): void => {
    if (text[i] === '-') i += 1;
    if (text[i] === '0') i += 1;
    else digits();
    if (text[i] === '.') {
      i += 1;
      digits();
    }
    if (text[i] === 'e' || text[i] === 'E') {
      i += 1;
      if (text[i] === '+' || text[i] === '-') i += 1;
      digits();
    }
  };
  const string = (): void => {
    i += 1;
    while (i < text.length) {
      const code = text.charCodeAt(i);
      if (code === 0x22) {
        i += 1;
        return;
      }
      if (code < 0x20) fail('Bad control character in string');
      if (code === 0x5c) {
        i += 1;
        const escaped = text[i] ?? '';
        if (escaped === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) fail('Bad Unicode escape in string');
          i += 5;
          continue;
        }
        if (escaped !== '' && !'"\\/bfnrt'.includes(escaped)) fail('Bad escaped character in string');
      }
      i += 1;
    }
    fail('Unterminated string');
  };
  const value = (): void => {
    skipSpace();
    const char = text[i] ?? '';
    if (char === '{') container('}', true);
    else if (char === '[') container(']', false);
    else if (char === '"') string();
    else if (char === 't') literal('true');
    else if (char === 'f') literal('false');
    else if (char === 'n') literal('null');
    else if (char === '-' || /[0-9]/.test(char)) number();
    else unexpected();
  };
  let depth = 0;
  const container = (close: string, isObject: boolean): void => {
    // JSON.parse accepts any depth; the scanner recurses, so it stops where a stack would not.
    if (depth >= MAX_SCAN_DEPTH) fail('Nested too deeply');
    depth += 1;
    i += 1;
    skipSpace();
    if (text[i] === close) {
      i += 1;
      depth -= 1;
      return;
    }
    for (;;) {
      if (isObject) {
        skipSpace();
        if (text[i] !== '"') unexpected();
        string();
        skipSpace();
        if (text[i] !== ':') unexpected();
        i += 1;
      }
      value();
      skipSpace();
      if (text[i] === ',') {
        i += 1;
        continue;
      }
      if (text[i] === close) {
        i += 1;
        depth -= 1;
        return;
      }
      unexpected();
    }
  };
  try {
    value();
    skipSpace();
    if (i < text.length) unexpected();
    return null;
  } catch (error) {
    if (!(error instanceof JsonScanError)) throw error;
    return { ...lineAndColumn(text, error.position), position: error.position, message: error.message };
  }
}

const MAX_SCAN_DEPTH = 1000;

class JsonScanError extends Error {
  readonly position: number;
  constructor(position: number, message: string) {
    super(message);
    this.position = position;
  }
}

function lineAndColumn(text: string, position: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let index = text.indexOf('\n'); index !== -1 && index < position; index = text.indexOf('\n', index + 1)) {
    line += 1;
    lineStart = index + 1;
  }
  return { line, column: position - lineStart + 1 };
}
