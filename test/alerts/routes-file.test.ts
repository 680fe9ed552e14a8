import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRoutesFile, parseRoutes } from '../../src/alerts/routes-file.js';
import { ConfigError } from '../../src/errors.js';

function issuesOf(text: string) {
  try {
    parseRoutes(text);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues;
  }
  throw new Error('expected a ConfigError');
}

const EXAMPLE = `# Alert routes
defaults:
  warning: { slack: [C0MONITOR], email: [owner@example.com] }
rules:
  - match: { kind: failure, task: "campaign-*" }
    slack: [C0CAMPAIGNS]
    email: [marketing@example.com]
  - match: { severity: info, task: "nightly-*" }
    slack: [C0NIGHTLY]
    replace: true
quietHours: { from: "22:00", to: "07:00", timeZone: Europe/Paris }
`;

describe('routing file', () => {
  it('accepts the documented example', () => {
    expect(parseRoutes(EXAMPLE)).toEqual({
      defaults: { warning: { slack: ['C0MONITOR'], email: ['owner@example.com'] } },
      rules: [
        {
          match: { kind: 'failure', task: 'campaign-*' },
          slack: ['C0CAMPAIGNS'],
          email: ['marketing@example.com'],
        },
        { match: { severity: 'info', task: 'nightly-*' }, slack: ['C0NIGHTLY'], replace: true },
      ],
      quietHours: { from: '22:00', to: '07:00', timeZone: 'Europe/Paris' },
    });
  });

  it('keeps the defaults for an empty file', () => {
    expect(parseRoutes('')).toEqual({});
    expect(parseRoutes('# nothing yet\n')).toEqual({});
  });

  it('names the key path and the line of every problem at once', () => {
    const issues = issuesOf(`rules:
  - match: { kind: failure }
    slack: [C0OK]
  - match:
      task: "report-*"
      severity: info
      kind: failed
    slack: ["#alerts"]
    email: [not-an-address]
quietHours:
  from: "25:00"
  to: "07:00"
  timeZone: Mars/Olympus
`);
    expect(issues).toEqual([
      {
        field: 'rules[1].match.kind (line 7)',
        message: expect.stringMatching(/^expected one of failure, cost_warning/),
      },
      { field: 'rules[1].slack[0] (line 8)', message: expect.stringContaining('channel id') },
      { field: 'rules[1].email[0] (line 9)', message: 'expected an e-mail address' },
      { field: 'quietHours.from (line 11)', message: 'expected a time of day like 22:00' },
      { field: 'quietHours.timeZone (line 13)', message: 'expected an IANA time zone like Europe/Paris' },
    ]);
  });

  it('reports unknown keys by name and line, so typos are not silently ignored', () => {
    expect(issuesOf('rules:\n  - match: { kind: failure }\n    channels: [C0X]\n    slack: [C0Y]\n')).toEqual([
      { field: 'rules[0].channels (line 3)', message: 'is not a known key' },
    ]);
    expect(issuesOf('default:\n  info: {}\n')).toEqual([{ field: 'default (line 1)', message: 'is not a known key' }]);
  });

  it('points at the rule when something required is missing', () => {
    expect(issuesOf('rules:\n  - slack: [C0X]\n  - match: {}\n')).toEqual([
      { field: 'rules[0].match (line 2)', message: 'required (use {} to match every alert)' },
      { field: 'rules[1].slack (line 3)', message: 'a rule needs slack or email (or both)' },
    ]);
  });

  it('reports YAML syntax errors with their line', () => {
    const issues = issuesOf('rules:\n  - match: { kind: failure\n    slack: [C0X]\n');
    expect(issues[0]?.field).toMatch(/^line \d+$/);
    expect(issues[0]?.message).toMatch(/^invalid YAML/);
  });

  it('loads a file from disk, and says which file it could not read', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gatehouse-routes-'));
    const path = join(dir, 'routes.yaml');
    await writeFile(path, EXAMPLE);
    expect((await loadRoutesFile(path)).rules).toHaveLength(2);
    await expect(loadRoutesFile(join(dir, 'missing.yaml'))).rejects.toMatchObject({
      issues: [{ field: 'ALERT_ROUTES_FILE', message: expect.stringContaining('missing.yaml (ENOENT)') }],
    });
  });
});
