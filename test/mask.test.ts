import { describe, expect, it } from 'vitest';
import { isSecretKey, maskDeep, maskSecrets } from '../src/mask.js';

describe('maskSecrets', () => {
  it.each([
    ['sk-ant-api03-abcdefghijklmnop_QRST-uvwx', 'sk-ant-***'],
    ['sk-proj-abcdefghijklmnop1234', 'sk-proj-***'],
    ['sk-abcdefghijklmnopqrstuvwxyz012345', 'sk-***'],
    ['xoxb-123456789012-1234567890123-abcdefABCDEF', 'xoxb-***'],
    ['xoxp-123456789012-1234567890123-abcdef', 'xoxp-***'],
    ['xoxa-2-123456789012-abcdef', 'xoxa-***'],
    ['xoxs-123456789012-abcdef', 'xoxs-***'],
    ['xapp-1-A0123BCDE-4567890-abcdef0123', 'xapp-***'],
    ['AKIAIOSFODNN7EXAMPLE', 'AKIA***'],
    ['ASIAIOSFODNN7EXAMPLE', 'ASIA***'],
    ['ghp_abcdefghijklmnopqrstuvwxyz0123456789', 'ghp_***'],
    ['gho_abcdefghijklmnopqrstuvwxyz0123456789', 'gho_***'],
    ['ghs_abcdefghijklmnopqrstuvwxyz0123456789', 'ghs_***'],
    ['github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz', 'github_pat_***'],
    ['eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U', 'eyJ***'],
  ])('masks %s, keeping the prefix that names it', (secret, masked) => {
    expect(maskSecrets(`failed with ${secret} today`)).toBe(`failed with ${masked} today`);
  });

  it('masks bearer tokens and Authorization header values, keeping the scheme', () => {
    expect(maskSecrets('Authorization: Bearer abc123def456')).toBe('Authorization: Bearer ***');
    expect(maskSecrets('authorization=Basic dXNlcjpwYXNzd29yZA==')).toBe('authorization=Basic ***');
    expect(maskSecrets('sent bearer Zm9vYmFyYmF6cXV4MTIz to the API')).toBe('sent bearer *** to the API');
    expect(maskSecrets('-H "Authorization: Bearer sk-ant-api03-abcdefghijklmnop"')).toBe(
      '-H "Authorization: Bearer sk-ant-***"',
    );
    expect(maskSecrets('{"Authorization": "Bearer abc.def"}')).toBe('{"Authorization": "Bearer ***"}');
  });

  it('masks passwords in URLs and keeps the rest of the URL', () => {
    expect(maskSecrets('postgres://admin:s3cr3t@db.example.com:5432/app')).toBe(
      'postgres://admin:***@db.example.com:5432/app',
    );
    expect(maskSecrets('redis://:pa55@cache:6379')).toBe('redis://:***@cache:6379');
    expect(maskSecrets('smtp://mailer:p@ss@smtp.example.com:587')).toBe('smtp://mailer:***@smtp.example.com:587');
  });

  it('masks the values of keys that name a secret, in any notation', () => {
    expect(maskSecrets('password=hunter2 user=bob')).toBe('password=*** user=bob');
    expect(maskSecrets('DB_PASSWORD: hunter2')).toBe('DB_PASSWORD: ***');
    expect(maskSecrets('--passwd=hunter2')).toBe('--passwd=***');
    expect(maskSecrets('{"apiKey":"abc","client_secret": "s p a c e", "name": "bob"}')).toBe(
      '{"apiKey":"***","client_secret": "***", "name": "bob"}',
    );
    expect(maskSecrets("private_key='-----BEGIN KEY-----'")).toBe("private_key='***'");
    expect(maskSecrets('https://api.example.com/x?access_token=abc123&page=2')).toBe(
      'https://api.example.com/x?access_token=***&page=2',
    );
    expect(maskSecrets('X-Api-Key: k-123 Access_Key=AbC SECRET=x Token=t')).toBe(
      'X-Api-Key: *** Access_Key=*** SECRET=*** Token=***',
    );
    expect(maskSecrets('body {\\"password\\":\\"abc\\"}')).toBe('body {\\"password\\":\\"***\\"}');
    expect(maskSecrets('note: password=abc')).toBe('note: password=***');
  });

  it('keeps usage counters whose names merely contain "token"', () => {
    const text = '{"input_tokens": 1200, "max_tokens": 4096, "token_count": 7, "tokens": 3}';
    expect(maskSecrets(text)).toBe(text);
  });

  it('masks PEM private keys, also when cut off', () => {
    const pem = '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7\n-----END RSA PRIVATE KEY-----';
    expect(maskSecrets(`key: ${pem} done`)).toBe('key: -----BEGIN RSA PRIVATE KEY-----*** done');
    expect(maskSecrets('-----BEGIN PRIVATE KEY-----\nMIIEow')).toBe('-----BEGIN PRIVATE KEY-----***');
  });

  it('masks e-mail addresses to their first letter and domain', () => {
    expect(maskSecrets('approver alice.smith@example.com declined')).toBe('approver a***@example.com declined');
    expect(maskSecrets('<bob+alerts@mail.example.co.uk>')).toBe('<b***@mail.example.co.uk>');
  });

  it('masks every secret in a mixed message', () => {
    const text = 'POST failed (xoxb-1-abcdefghijklmn) for bob@example.com using password: hunter2';
    expect(maskSecrets(text)).toBe('POST failed (xoxb-***) for b***@example.com using password: ***');
  });

  it.each([
    'The bearer of bad news told the team at 10:30.',
    'Bearer tokens are described in RFC 6750.',
    'See https://example.com/docs/page?lang=en#section and http://localhost:3000/healthz',
    'Deployed at 2024-05-01T10:20:30.123Z (+02:00)',
    'request 123e4567-e89b-12d3-a456-426614174000 failed',
    'fixed in 9fceb02d0ae598e95dc970b74767f19372d61af8 (short 9fceb02)',
    'installed nodemailer@10.6.0 and @slack/bolt@5.1.0',
    'task-sk-list, risk-assessment, the key=value syntax, key: value',
    'Error: boom\n    at Object.<anonymous> (/app/src/foo.ts:12:34)\n    at file:///app/node_modules/@slack/bolt/dist/App.js:1:2',
    'cost $1.23 of $5.00 (80 %) — stage "review" of task t-42',
  ])('leaves ordinary text alone: %s', (text) => {
    expect(maskSecrets(text)).toBe(text);
  });

  it('masks an already masked text to itself', () => {
    const once = maskSecrets('api_key=sk-ant-api03-abcdefghijklmnop and a@example.com, Bearer abc123def456');
    expect(once).toBe('api_key=sk-ant-*** and a***@example.com, Bearer ***');
    expect(maskSecrets(once)).toBe(once);
  });

  it.each([
    'a',
    'sk-',
    'eyJa.',
    'a@',
    'b.',
    'a:',
    'a://b:c',
    'password="',
    "token='x ",
    'bearer ',
    '-----BEGIN PRIVATE KEY-----',
    'x@y.z sk-ant- eyJ. password: "a\\',
    '\\"password\\":',
  ])('stays linear on a megabyte of %j repeated', (unit) => {
    const input = unit.repeat(Math.ceil(2 ** 20 / unit.length));
    const started = performance.now();
    maskSecrets(input);
    // A guard against catastrophic backtracking, not a benchmark: a quadratic scan takes minutes.
    expect(performance.now() - started).toBeLessThan(2000);
  });
});

describe('isSecretKey', () => {
  it.each(['password', 'DB_PASSWORD', 'passwd', 'clientSecret', 'access_token', 'apiKey', 'x-api-key', 'apikey'])(
    'treats %s as a secret',
    (key) => expect(isSecretKey(key)).toBe(true),
  );
  it.each(['tokens', 'input_tokens', 'token_count', 'key', 'user', 'keyboard', 'PWD'])('treats %s as ordinary', (key) =>
    expect(isSecretKey(key)).toBe(false),
  );
});

describe('maskDeep', () => {
  it('masks every string and replaces the values of secret keys', () => {
    const input = {
      message: 'failed for alice@example.com with xoxb-1-abcdefghijklmn',
      password: 'hunter2',
      nested: [{ accessToken: 12345, note: 'ok' }, 'sk-ant-api03-abcdefghijklmnop'],
      credentials: { user: 'bob', pass: 'x' },
      usage: { input_tokens: 1200, ok: true, missing: null },
      apiKey: null,
    };
    expect(maskDeep(input)).toEqual({
      message: 'failed for a***@example.com with xoxb-***',
      password: '***',
      nested: [{ accessToken: '***', note: 'ok' }, 'sk-ant-***'],
      credentials: '***',
      usage: { input_tokens: 1200, ok: true, missing: null },
      apiKey: null,
    });
  });

  it('returns a copy and leaves the input untouched', () => {
    const input = { password: 'hunter2', list: ['a@example.com'] };
    const output = maskDeep(input);
    expect(input).toEqual({ password: 'hunter2', list: ['a@example.com'] });
    expect(output.list).not.toBe(input.list);
  });

  it('masks a bare string and passes other primitives through', () => {
    expect(maskDeep('token=abc')).toBe('token=***');
    expect(maskDeep(42)).toBe(42);
    expect(maskDeep(undefined)).toBeUndefined();
  });

  it('turns a cycle into a marker instead of recursing forever', () => {
    const input: Record<string, unknown> = { name: 'loop' };
    input.self = input;
    expect(maskDeep(input)).toEqual({ name: 'loop', self: '[Circular]' });
  });
});

describe('maskSecrets, in prose and across lines', () => {
  it('masks Basic credentials anywhere, but not the word "basic"', () => {
    expect(maskSecrets('curl sent Basic dXNlcjpwYXNzd29yZA== to the proxy')).toBe('curl sent Basic *** to the proxy');
    expect(maskSecrets('basic YWRtaW46aHVudGVyMg')).toBe('basic ***');
    expect(maskSecrets('a basic plan with basic features')).toBe('a basic plan with basic features');
  });

  it('masks a password, secret or token named in prose, and leaves ordinary sentences', () => {
    expect(maskSecrets('the password is hunter3secret, keep it')).toBe('the password is ***, keep it');
    expect(maskSecrets('Our secret was "Tr0ub4dor&3" all along')).toBe('Our secret was "***" all along');
    expect(maskSecrets('token: 9f8e7d6c5b4a')).toBe('token: ***');
    expect(maskSecrets('the api key is AbCdEfGhIjKlMnOp')).toBe('the api key is ***');
    expect(maskSecrets('the password is required and the token is valid')).toBe(
      'the password is required and the token is valid',
    );
  });

  it('masks keys broken across lines, all of them', () => {
    const masked = maskSecrets('key: sk-ant-api03-abcdefgh\nijklmnop42QRST\nthanks');
    expect(masked).not.toContain('ijklmnop42QRST');
    expect(masked).toContain('sk-ant-***');
    expect(masked).toContain('\nthanks');
    const slack = maskSecrets('xoxb-123456789012-\r\n1234567890123-abcdefABCDEF done');
    expect(slack).toBe('xoxb-*** done');
    expect(maskSecrets('AKIAIOSFODNN\n7EXAMPLE is the id')).toBe('AKIA*** is the id');
  });
});
