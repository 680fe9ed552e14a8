import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../src/cli/args.js';
import { cli, fakeFetch, reply } from './support.js';

describe('gatehouse help', () => {
  it('prints the general help for help, --help and no command, exiting 0', async () => {
    for (const argv of [['help'], ['--help'], ['-h'], []]) {
      const { code, stdout, stderr } = await cli(argv);
      expect(code).toBe(0);
      expect(stdout).toContain('gatehouse approval request');
      expect(stdout).toContain('0 approved');
      expect(stderr).toBe('');
    }
  });

  it("prints a command's own help for --help and for help <command>", async () => {
    const viaFlag = await cli(['approval', 'request', '--help']);
    const viaHelp = await cli(['help', 'approval', 'request']);
    expect(viaFlag.code).toBe(0);
    expect(viaFlag.stdout).toContain('--context-file FILE');
    expect(viaHelp.stdout).toBe(viaFlag.stdout);
    for (const command of [['approval', 'get'], ['approval', 'decide'], ['approval', 'cancel'], ['alert'], ['serve']]) {
      const { code, stdout } = await cli([...command, '--help']);
      expect(code).toBe(0);
      expect(stdout).toContain(`gatehouse ${command.join(' ')}`);
    }
  });

  it('answers an unknown command or help topic with exit 3 and a pointer to help', async () => {
    expect(await cli(['deploy'])).toEqual({
      code: 3,
      stdout: '',
      stderr: 'gatehouse: unknown command "deploy" (see gatehouse help)\n',
    });
    expect((await cli(['approval', 'approve'])).stderr).toContain('unknown command "approval approve"');
    expect((await cli(['help', 'deploy'])).code).toBe(3);
  });
});

describe('bad flags', () => {
  const cases: Array<[string, string[], string]> = [
    ['a missing --title', ['approval', 'request'], '--title is required'],
    ['an unknown option', ['approval', 'request', '--title', 'x', '--colour', 'red'], 'unknown option --colour'],
    ['a flag with no value', ['approval', 'request', '--title'], '--title needs a value'],
    [
      'a value given to a switch',
      ['approval', 'request', '--title', 'x', '--wait=yes'],
      '--wait does not take a value',
    ],
    ['a bad duration', ['approval', 'request', '--title', 'x', '--timeout', 'soon'], '--timeout expects a duration'],
    ['invalid JSON', ['approval', 'request', '--title', 'x', '--context', '{a:1}'], '--context is not valid JSON'],
    [
      'both context flags',
      ['approval', 'request', '--title', 'x', '--context', '{}', '--context-file', 'c.json'],
      'give --context or --context-file, not both',
    ],
    ['an extra argument', ['approval', 'request', '--title', 'x', 'now'], 'unexpected argument "now"'],
    ['get without an id', ['approval', 'get'], 'missing <id> (usage: gatehouse approval get <id>)'],
    ['a bad --wait', ['approval', 'get', 'a1', '--wait', 'long'], '--wait expects a number, got "long"'],
    ['decide with no verdict', ['approval', 'decide', 'a1'], 'give one of --approve or --reject'],
    ['decide with both verdicts', ['approval', 'decide', 'a1', '--approve', '--reject'], 'give one of --approve'],
    ['an alert with no kind', ['alert', '--task', 't1'], '--kind is required: failure, cost_warning'],
    ['a cost that is not a number', ['alert', '--kind', 'cost_warning', '--cost', 'lots'], '--cost expects a number'],
    ['a bad GATEHOUSE_URL', ['approval', 'get', 'a1', '--url', 'localhost:3000'], 'must be an http(s) URL'],
  ];

  it.each(cases)('reports %s in plain words, exits 3 and calls nothing', async (_name, argv, message) => {
    const { fetch, calls } = fakeFetch(reply({}));
    const { code, stdout, stderr } = await cli(argv, { fetch });
    expect(code).toBe(3);
    expect(stdout).toBe('');
    expect(stderr).toContain(message);
    expect(stderr).toMatch(/^gatehouse: [^\n]+\n$/);
    expect(stderr).not.toMatch(/\bat .+:\d+:\d+/);
    expect(calls).toEqual([]);
  });

  it('names the file it cannot read', async () => {
    const readFile = async () => {
      throw Object.assign(new Error('ENOENT: no such file or directory'), { code: 'ENOENT' });
    };
    const { code, stderr } = await cli(['approval', 'request', '--title', 'x', '--context-file', 'ctx.json'], {
      readFile,
    });
    expect(code).toBe(3);
    expect(stderr).toBe('gatehouse: --context-file: cannot read ctx.json: no such file\n');
  });
});

describe('parseDuration', () => {
  it.each([
    ['90s', 90],
    ['30m', 1800],
    ['2h', 7200],
    ['1d', 86_400],
    ['1h30m', 5400],
    ['1.5h', 5400],
    ['3600', 3600],
    [' 2H ', 7200],
  ])('reads %j as %i seconds', (text, seconds) => {
    expect(parseDuration('timeout', text)).toBe(seconds);
  });

  it.each(['0', '0s', '1.5s', 'soon', '-5', '5 m', ''])('refuses %j, naming the flag', (text) => {
    expect(() => parseDuration('timeout', text)).toThrow(/^--timeout expects a duration like 90s, 30m, 2h or 3600/);
  });
});
