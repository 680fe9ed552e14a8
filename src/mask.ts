/** What a masked secret is replaced with. */
export const MASK = '***';

// Every pattern below starts with a lookbehind on the characters its first run may hold, so only
// the first position of a run is ever tried, and every quantified class excludes the character
// that must follow it. A failed attempt thus costs the length of one run, and a whole scan stays
// linear in the size of the text however it is crafted.

/** `scheme://user:password@host`: the password, up to the last `@` before the path. */
const URL_CREDENTIALS = /(?<![A-Za-z0-9+.-])([A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s:@/?#]*:)[^\s/?#]+@/g;

/** Anthropic and OpenAI keys; the sub-kinds listed are kept so the reader knows which key. */
const SK_KEY = /(?<![\w-])sk-(?:(ant|proj|svcacct|admin)-)?[\w-]{10,}/g;

/** Slack bot, user, app-level and configuration tokens. */
const SLACK_TOKEN = /(?<![\w-])(xox[a-z]|xapp)-[A-Za-z0-9-]{8,}/g;

/** GitHub classic (`ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_`) and fine-grained tokens. */
const GITHUB_TOKEN = /(?<![\w-])(gh[pousr]_|github_pat_)\w{16,}/g;

/** AWS access key ids (long-term `AKIA`, temporary `ASIA`). */
const AWS_KEY_ID = /(?<![A-Za-z0-9])(AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])/g;

/** JSON Web Tokens: a base64url JSON header (`eyJ`), a payload and a signature that may be empty. */
const JWT = /(?<![\w-])eyJ[\w-]+\.[\w-]+\.[\w-]*/g;

/** PEM private key blocks, also when cut off before their END line. */
const PRIVATE_KEY_BLOCK =
  /-----BEGIN ([A-Z0-9 ]{0,40})PRIVATE KEY-----(?:[^-]|-(?!----))*(?:-----END [A-Z0-9 ]{0,40}PRIVATE KEY-----)?/g;

/** `Basic <base64 of user:password>` anywhere; masked only when it decodes to a `user:password` pair. */
const BASIC = /(?<![\w-])(basic[ \t]+)([A-Za-z0-9+/]{4,}={0,2})(?![\w+/=])/gi;

/**
 * A secret named in prose: "password is hunter3secret", "the token was ab12…", "secret: …".
 * The value is masked when it looks like one (a digit or symbol, or long); "password is required" stays.
 */
const PROSE_SECRET =
  /(?<![\w-])(passwords?|passwd|passphrase|secret|token|api[ _-]?key|access[ _-]?key)([ \t]+(?:is|was|=|:|equals|set to|reads)[ \t]+)(["'`]?)([^\s"'`,;]+)/gi;

/** A key prefix whose token continues on the next line(s), as when a key was wrapped or pasted in two. */
const SPLIT_TOKEN =
  /(?<![\w.+/=-])((?:sk-|xox[a-z]-|xapp-|gh[pousr]_|github_pat_|AKIA|ASIA|eyJ)[\w.+/=-]*)((?:\r?\n[ \t]*[\w.+/=-]+)+)/g;

/** `Bearer <token>` outside of a header; the token is masked only when it looks like one. */
const BEARER = /(?<![\w-])(bearer\s+)([\w.~+/=*-]+)/gi;

/** The name and separator of a `key=value`, `--key=value`, `key: value` or `"key": "value"` pair. */
const PAIR_KEY = /(?<![\w.-])(\\?["']?)([A-Za-z_-][\w.-]*)\1[ \t]*[:=][ \t]*/g;

/** The value after a secret key: a JSON string, a single-quoted string, or a bare token. */
const PAIR_VALUE =
  /"(?:[^"\\\n]|\\.)*"|'[^'\n]*'|(\\?["']?)((?:bearer|basic|token|bot)[ \t]+)?([^\s"'\\,;&<>(){}[\]]+)/iy;

/** E-mail addresses; the first character of the local part and the domain stay readable. */
const EMAIL = /(?<![\w.%+-])([\w.%+-])[\w.%+-]*@((?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,})/g;

/** What a pass of ours leaves behind (`sk-ant-***`, `xoxb-***`, `***`): not masked twice. */
const ALREADY_MASKED = /^[\w.-]*\*\*\*$/;

/** Authorization schemes kept in front of a masked credential. */
const AUTH_SCHEME = /^((?:bearer|basic|token|bot)[ \t]+)/i;

const SECRET_WORDS = new Set(['password', 'passwd', 'passphrase', 'secret']);
const SECRET_LAST_WORDS = new Set([
  'token',
  'apikey',
  'accesskey',
  'privatekey',
  'secretkey',
  'authorization',
  'credential',
  'credentials',
]);
const SECRET_LAST_PAIRS = new Set(['api key', 'access key', 'private key', 'secret key', 'client secret']);

/**
 * Tells whether a key (`password`, `DB_PASSWORD`, `apiKey`, `X-Api-Key`, `access_token`) names a
 * secret. `password`, `passwd`, `passphrase` and `secret` count anywhere in the name; `token`,
 * `api_key`, `access_key`, `private_key` and `authorization` only as its last word, so that
 * `input_tokens` and `token_count` stay readable.
 */
export function isSecretKey(key: string): boolean {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((word) => word !== '');
  const last = words.at(-1);
  if (last === undefined) return false;
  if (words.some((word) => SECRET_WORDS.has(word)) || SECRET_LAST_WORDS.has(last)) return true;
  return words.length > 1 && SECRET_LAST_PAIRS.has(`${words.at(-2)} ${last}`);
}

/**
 * Masks secrets and personal data in free text: API keys and tokens (keeping a prefix that says
 * which kind), PEM private keys, passwords in URLs, the values of secret-named `key=value` pairs, `Bearer` tokens,
 * JWTs and e-mail addresses. Ordinary text, plain URLs, dates, UUIDs and hashes pass unchanged.
 */
export function maskSecrets(text: string): string {
  return maskEmails(
    maskPairs(
      joinSplitTokens(text)
        .replace(URL_CREDENTIALS, `$1${MASK}@`)
        .replace(SK_KEY, (_match, kind?: string) => (kind ? `sk-${kind}-${MASK}` : `sk-${MASK}`))
        .replace(SLACK_TOKEN, `$1-${MASK}`)
        .replace(GITHUB_TOKEN, `$1${MASK}`)
        .replace(AWS_KEY_ID, `$1${MASK}`)
        .replace(JWT, `eyJ${MASK}`)
        .replace(PRIVATE_KEY_BLOCK, `-----BEGIN $1PRIVATE KEY-----${MASK}`)
        .replace(BEARER, (match, keyword: string, token: string) =>
          looksLikeToken(token) ? `${keyword}${MASK}` : match,
        )
        .replace(BASIC, (match, keyword: string, encoded: string) =>
          isBasicCredential(encoded) ? `${keyword}${MASK}` : match,
        )
        .replace(PROSE_SECRET, (match, name: string, verb: string, quote: string, value: string) =>
          looksLikeToken(value) || value.length >= 12 ? `${name}${verb}${quote}${MASK}` : match,
        ),
    ),
  );
}

/** Whether `encoded` is base64 of `user:password`, as in an HTTP Basic credential. */
function isBasicCredential(encoded: string): boolean {
  if (ALREADY_MASKED.test(encoded) || encoded.length % 4 === 1) return false;
  const decoded = Buffer.from(encoded, 'base64').toString('latin1');
  return /^[\x20-\x7e]+:[\x20-\x7e]*$/.test(decoded);
}

/** A continuation line that reads as part of a token (digits, mixed case, symbols), not as a word. */
const continuesToken = (part: string) =>
  /\d|[-_+/=]/.test(part) || (/[A-Z]/.test(part) && /[a-z]/.test(part) && part.length >= 6);

/** Rejoins tokens broken across lines, so the patterns below see, and mask, all of each. */
function joinSplitTokens(text: string): string {
  return text.replace(SPLIT_TOKEN, (_match, head: string, tail: string) => {
    const line = /\r?\n[ \t]*([\w.+/=-]+)/y;
    let joined = head;
    let end = 0;
    for (let next = line.exec(tail); next && continuesToken(next[1] ?? ''); next = line.exec(tail)) {
      joined += next[1];
      end = line.lastIndex;
    }
    return joined + tail.slice(end);
  });
}

/**
 * Returns a masked copy of a JSON value: every string goes through `maskSecrets`, and the value
 * of every key that names a secret (see `isSecretKey`) becomes `'***'` unless it is null or
 * undefined. Keys themselves are kept; objects that are not plain (Date, Map, class instances)
 * are returned as they are; a cycle becomes `'[Circular]'`.
 */
export function maskDeep<T>(value: T): T {
  return maskValue(value, new WeakSet()) as T;
}

function maskValue(value: unknown, seen: WeakSet<object>): unknown {
  if (typeof value === 'string') return maskSecrets(value);
  if (typeof value !== 'object' || value === null) return value;
  if (!Array.isArray(value) && !isPlainObject(value)) return value;
  if (seen.has(value)) return '[Circular]';
  seen.add(value);
  let copy: unknown;
  if (Array.isArray(value)) {
    copy = value.map((item) => maskValue(item, seen));
  } else {
    const entries = Object.entries(value).map(([key, item]) => [
      key,
      isSecretKey(key) && item !== null && item !== undefined ? MASK : maskValue(item, seen),
    ]);
    copy = Object.fromEntries(entries);
  }
  seen.delete(value);
  return copy;
}

function isPlainObject(value: object): boolean {
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** A token after `Bearer` has a digit or a symbol, or is long; "bearer of bad news" is not one. */
function looksLikeToken(token: string): boolean {
  if (ALREADY_MASKED.test(token)) return false;
  return token.length >= 20 || /[\d._~+/=-]/.test(token);
}

function maskPairs(text: string): string {
  let out = '';
  let copied = 0;
  PAIR_KEY.lastIndex = 0;
  for (let key = PAIR_KEY.exec(text); key; key = PAIR_KEY.exec(text)) {
    // Only the key and separator are consumed, so a pair inside a non-secret value is still seen.
    if (!isSecretKey(key[2] ?? '')) continue;
    PAIR_VALUE.lastIndex = PAIR_KEY.lastIndex;
    const value = PAIR_VALUE.exec(text);
    if (!value) continue;
    out += text.slice(copied, PAIR_VALUE.lastIndex - value[0].length) + maskPairValue(value);
    copied = PAIR_VALUE.lastIndex;
    PAIR_KEY.lastIndex = copied;
  }
  return out + text.slice(copied);
}

function maskPairValue(value: RegExpExecArray): string {
  const [whole, open, scheme, bare] = value;
  if (bare !== undefined) {
    return ALREADY_MASKED.test(bare) ? whole : `${open ?? ''}${scheme ?? ''}${MASK}`;
  }
  // A quoted string: keep the quotes and any authorization scheme, mask what is inside.
  const quote = whole[0] ?? '';
  const inner = whole.slice(1, -1);
  if (inner === '' || ALREADY_MASKED.test(inner)) return whole;
  return `${quote}${AUTH_SCHEME.exec(inner)?.[1] ?? ''}${MASK}${quote}`;
}

function maskEmails(text: string): string {
  return text.replace(EMAIL, (_match, first: string, domain: string) => `${first}${MASK}@${domain}`);
}
