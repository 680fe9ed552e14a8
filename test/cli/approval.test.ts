import { describe, expect, it } from 'vitest';
import { approval, cli, decision, fakeFetch, refused, reply } from './support.js';

const env = {
  GATEHOUSE_URL: 'http://gatehouse.test:8080/',
  GATEHOUSE_API_TOKEN: 'secret-token-0123456789',
  USER: 'carol',
};

describe('gatehouse approval request', () => {
  it('POSTs the request built from the flags, with the bearer token, and exits 0 once made', async () => {
    const { fetch, calls } = fakeFetch(reply(approval(), 201));
    const files: Record<string, string> = { 'ctx.json': '{"env":"prod","replicas":3}' };
    const { code, stdout, stderr } = await cli(
      [
        'approval',
        'request',
        '--title',
        'Deploy v2',
        '--explanation',
        'Ships the new billing',
        '--context-file',
        'ctx.json',
        '--approvers',
        'U0ALICE, U0BOB',
        '--timeout',
        '30m',
        '--id',
        'deploy-42',
        '--channel',
        'C0DEPLOYS',
        '--task',
        'release-7',
      ],
      { env, fetch, readFile: async (path) => files[path] ?? '' },
    );
    expect(code).toBe(0);
    expect(calls).toEqual([
      {
        method: 'POST',
        url: 'http://gatehouse.test:8080/api/v1/approvals',
        headers: expect.objectContaining({
          authorization: 'Bearer secret-token-0123456789',
          'content-type': 'application/json',
        }),
        body: {
          id: 'deploy-42',
          title: 'Deploy v2',
          explanation: 'Ships the new billing',
          context: { env: 'prod', replicas: 3 },
          approvers: ['U0ALICE', 'U0BOB'],
          channel: 'C0DEPLOYS',
          timeoutSeconds: 1800,
          taskId: 'release-7',
        },
      },
    ]);
    expect(stderr).toBe('pending: "Deploy v2" (deploy-42), open until 2030-01-01T00:30:00.000Z\n');
    expect(stdout).toBe('');
  });

  it('with --wait, long-polls until decided and prints the approval as JSON with --json', async () => {
    const approved = approval({ status: 'approved', decision: decision({ feedback: 'go ahead' }) });
    const { fetch, calls } = fakeFetch(reply(approval(), 201), reply(approval()), reply(approved));
    const { code, stdout, stderr } = await cli(
      ['approval', 'request', '--title', 'Deploy v2', '--context', '{"a":1}', '--wait', '--json'],
      { env, fetch, now: () => 0 },
    );
    expect(code).toBe(0);
    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual([
      'POST http://gatehouse.test:8080/api/v1/approvals',
      'GET http://gatehouse.test:8080/api/v1/approvals/deploy-42?wait=60',
      'GET http://gatehouse.test:8080/api/v1/approvals/deploy-42?wait=60',
    ]);
    expect(JSON.parse(stdout)).toEqual(approved);
    expect(stderr.split('\n')).toEqual([
      'waiting for a decision on "Deploy v2" (deploy-42), open until 2030-01-01T00:30:00.000Z',
      'approved: "Deploy v2" (deploy-42) by U0ALICE via slack: "go ahead"',
      '',
    ]);
  });

  it.each([
    ['rejected', 1],
    ['cancelled', 1],
    ['timeout', 2],
  ])('exits with the code for %s', async (status, exitCode) => {
    const decided = approval({ status, decision: decision({ via: status === 'timeout' ? 'system' : 'api' }) });
    const { fetch } = fakeFetch(reply(approval(), 201), reply(decided));
    const { code, stderr } = await cli(['approval', 'request', '--title', 'Deploy v2', '--wait'], { env, fetch });
    expect(code).toBe(exitCode);
    expect(stderr).toContain(status === 'timeout' ? 'timed out: "Deploy v2" (deploy-42) was not decided by' : status);
  });

  it('exits with the decision of a request already decided under the same id', async () => {
    const { fetch, calls } = fakeFetch(reply(approval({ status: 'rejected', decision: decision() })));
    expect((await cli(['approval', 'request', '--title', 'Deploy v2', '--id', 'deploy-42'], { env, fetch })).code).toBe(
      1,
    );
    expect(calls).toHaveLength(1);
  });

  it('keeps waiting through a server restart, saying so, then gives up after about two minutes', async () => {
    const slept: number[] = [];
    const sleep = async (ms: number) => {
      slept.push(ms);
    };
    const approved = approval({ status: 'approved', decision: decision() });
    const survives = fakeFetch(reply(approval(), 201), refused, reply({ message: 'restarting' }, 503), reply(approved));
    const ok = await cli(['approval', 'request', '--title', 'Deploy v2', '--wait'], {
      env,
      fetch: survives.fetch,
      sleep,
    });
    expect(ok.code).toBe(0);
    expect(slept).toEqual([1000, 2000]);
    expect(ok.stderr).toContain(
      'cannot reach Gatehouse at http://gatehouse.test:8080: connection refused; trying again in 1 s',
    );
    expect(ok.stderr).toContain('Gatehouse failed (HTTP 503): restarting; trying again in 2 s');

    slept.length = 0;
    const down = fakeFetch(reply(approval(), 201), refused);
    const gone = await cli(['approval', 'request', '--title', 'Deploy v2', '--wait'], {
      env,
      fetch: down.fetch,
      sleep,
    });
    expect(gone.code).toBe(3);
    expect(slept.reduce((a, b) => a + b)).toBe(128_000);
    expect(gone.stderr.trim().split('\n').at(-1)).toBe(
      'gatehouse: cannot reach Gatehouse at http://gatehouse.test:8080: connection refused',
    );
  });

  it('stops waiting when interrupted, exiting 130', async () => {
    const stop = new AbortController();
    const { fetch } = fakeFetch(reply(approval(), 201), () => {
      stop.abort('SIGINT');
      throw new DOMException('This operation was aborted', 'AbortError');
    });
    const { code, stderr } = await cli(['approval', 'request', '--title', 'x', '--wait'], {
      env,
      fetch,
      signal: stop.signal,
    });
    expect(code).toBe(130);
    expect(stderr).toMatch(/gatehouse: interrupted\n$/);
  });
});

describe('errors from the server, in plain words', () => {
  const cases: Array<[string, Parameters<typeof fakeFetch>[0], string]> = [
    ['an unreachable server', refused, 'cannot reach Gatehouse at http://gatehouse.test:8080: connection refused'],
    [
      'a 400 naming fields',
      reply(
        {
          error: 'invalid_request',
          message: 'title: must not be empty; approvers.0: expected a Slack user id like U0123ABCD',
          issues: [
            { field: 'title', message: 'must not be empty' },
            { field: 'approvers.0', message: 'expected a Slack user id like U0123ABCD' },
          ],
        },
        400,
      ),
      'the server refused the request: title: must not be empty; approvers.0: expected a Slack user id like U0123ABCD',
    ],
    [
      'a 401',
      reply({ error: 'unauthorized', message: 'missing or wrong bearer token' }, 401),
      'the server refused the token (missing or wrong bearer token): check GATEHOUSE_API_TOKEN',
    ],
    [
      'a 409',
      reply({ error: 'stale_request', message: 'approval deploy-42 already exists with different content' }, 409),
      'conflict: approval deploy-42 already exists with different content',
    ],
    [
      'an answer that is not JSON',
      () => new Response('<html>nginx</html>', { status: 502 }),
      'http://gatehouse.test:8080 answered HTTP 502 with something that is not JSON: is GATEHOUSE_URL the Gatehouse server?',
    ],
    [
      'JSON that is not an approval',
      reply({ hello: 'world' }, 201),
      'http://gatehouse.test:8080 answered with something that is not an approval',
    ],
  ];

  it.each(cases)('reports %s on one line and exits 3', async (_name, answer, message) => {
    const { fetch } = fakeFetch(answer);
    const { code, stdout, stderr } = await cli(['approval', 'request', '--title', 'x'], { env, fetch });
    expect({ code, stdout, stderr }).toEqual({ code: 3, stdout: '', stderr: `gatehouse: ${message}\n` });
  });

  it('says to set the token when none is set', async () => {
    const { fetch, calls } = fakeFetch(reply({ message: 'missing or wrong bearer token' }, 401));
    const { stderr } = await cli(['approval', 'get', 'a1'], { env: {}, fetch });
    expect(calls[0]?.url).toBe('http://127.0.0.1:3000/api/v1/approvals/a1');
    expect(calls[0]?.headers).not.toHaveProperty('authorization');
    expect(stderr).toContain('set GATEHOUSE_API_TOKEN');
  });
});

describe('gatehouse approval get, decide, cancel', () => {
  it('get exits by status: 4 while pending, and waits up to --wait seconds in polls of at most 60', async () => {
    let clock = 0;
    const { fetch, calls } = fakeFetch((call) => {
      clock += Number(new URL(call.url).searchParams.get('wait') ?? 0) * 1000;
      return Response.json(approval());
    });
    const { code, stderr } = await cli(['approval', 'get', 'deploy 42', '--wait', '90'], {
      env,
      fetch,
      now: () => clock,
    });
    expect(code).toBe(4);
    expect(calls.map((c) => c.url.replace('http://gatehouse.test:8080', ''))).toEqual([
      '/api/v1/approvals/deploy%2042?wait=60',
      '/api/v1/approvals/deploy%2042?wait=30',
    ]);
    expect(stderr).toContain('pending: "Deploy v2"');

    const once = fakeFetch(reply(approval({ status: 'approved', decision: decision() })));
    const got = await cli(['approval', 'get', 'deploy-42', '--json'], { env, fetch: once.fetch });
    expect(got.code).toBe(0);
    expect(once.calls[0]?.url).toBe('http://gatehouse.test:8080/api/v1/approvals/deploy-42');
    expect(JSON.parse(got.stdout).status).toBe('approved');
  });

  it('get --wait N stops trying an unreachable server once the N seconds are over', async () => {
    let clock = 0;
    const slept: number[] = [];
    const sleep = async (ms: number) => {
      slept.push(ms);
      clock += ms;
    };
    const { fetch } = fakeFetch(refused);
    const { code, stderr } = await cli(['approval', 'get', 'deploy-42', '--wait', '5'], {
      env,
      fetch,
      sleep,
      now: () => clock,
    });
    expect(code).toBe(3);
    expect(slept).toEqual([1000, 2000]);
    expect(stderr.trim().split('\n').at(-1)).toBe(
      'gatehouse: cannot reach Gatehouse at http://gatehouse.test:8080: connection refused',
    );
  });

  it('decide POSTs the decision, by $USER unless --by, with modifications from a file', async () => {
    const decided = approval({ status: 'rejected', decision: decision({ decidedBy: 'carol', via: 'api' }) });
    const { fetch, calls } = fakeFetch(reply(decided));
    const readFile = async () => '{"replicas":2}';
    const { code, stderr } = await cli(
      [
        'approval',
        'decide',
        'deploy-42',
        '--reject',
        '--feedback',
        'not on a Friday',
        '--modifications-file',
        'm.json',
      ],
      { env, fetch, readFile },
    );
    expect(code).toBe(0);
    expect(calls[0]).toMatchObject({
      method: 'POST',
      url: 'http://gatehouse.test:8080/api/v1/approvals/deploy-42/decision',
      body: { decision: 'reject', decidedBy: 'carol', feedback: 'not on a Friday', modifications: { replicas: 2 } },
    });
    expect(stderr).toBe('rejected: "Deploy v2" (deploy-42) by carol via api\n');

    const again = fakeFetch(reply({ error: 'already_decided', message: 'deploy-42 was already rejected' }, 409));
    const late = await cli(['approval', 'decide', 'deploy-42', '--approve', '--by', 'dave'], {
      env,
      fetch: again.fetch,
    });
    expect(again.calls[0]?.body).toEqual({ decision: 'approve', decidedBy: 'dave' });
    expect(late).toMatchObject({ code: 3, stderr: 'gatehouse: conflict: deploy-42 was already rejected\n' });
  });

  it('cancel POSTs the reason and who cancels', async () => {
    const cancelled = approval({
      status: 'cancelled',
      decision: decision({ decidedBy: 'ci', feedback: 'superseded' }),
    });
    const { fetch, calls } = fakeFetch(reply(cancelled));
    const { code, stderr } = await cli(['approval', 'cancel', 'deploy-42', '--reason', 'superseded', '--by', 'ci'], {
      env,
      fetch,
    });
    expect(code).toBe(0);
    expect(calls[0]).toMatchObject({
      url: 'http://gatehouse.test:8080/api/v1/approvals/deploy-42/cancel',
      body: { reason: 'superseded', cancelledBy: 'ci' },
    });
    expect(stderr).toBe('cancelled: "Deploy v2" (deploy-42) by ci via slack: "superseded"\n');
  });
});
