import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  approvalIdOf,
  approvalRequestOf,
  editableSchema,
  type HookInput,
  matchesTool,
  runClaudeCodeHook,
} from '../../src/adapters/claude-code/index.js';
import { GatehouseClient } from '../../src/client/index.js';
import { eventually } from '../support/eventually.js';
import { API_TOKEN, startGatehouse, type TestGatehouse } from '../support/gatehouse.js';

describe('Claude Code matchers', () => {
  it.each([
    ['*', 'Read', true],
    ['', 'Read', true],
    [undefined, 'Read', true],
    ['Bash|Write|Edit', 'Write', true],
    ['Bash|Write|Edit', 'Read', false],
    ['Bash', 'BashOutput', false],
    ['mcp__github__.*', 'mcp__github__create_issue', true],
    ['mcp__github__.*', 'mcp__memory__write', false],
    ['^Notebook', 'NotebookEdit', true],
  ])('%s matches %s: %s', (matcher, tool, expected) => {
    expect(matchesTool(matcher, tool)).toBe(expected);
  });
});

const input = (overrides: Partial<HookInput> = {}): HookInput => ({
  session_id: 'abc123',
  hook_event_name: 'PreToolUse',
  tool_name: 'Bash',
  tool_input: { command: 'ls' },
  tool_use_id: 'toolu_01',
  cwd: '/srv/app',
  ...overrides,
});

describe('the approval a tool call asks for', () => {
  it('is keyed by session and tool call; PermissionRequest, which has no tool_use_id, by the call itself', () => {
    expect(approvalIdOf(input())).toBe('claude-code:abc123:toolu_01');
    const permission = input({ hook_event_name: 'PermissionRequest', tool_use_id: undefined });
    expect(approvalIdOf(permission)).toMatch(/^claude-code:abc123:[0-9a-f]{32}$/);
    expect(approvalIdOf(permission)).toBe(approvalIdOf({ ...permission }));
    expect(approvalIdOf({ ...permission, tool_input: { command: 'pwd' } })).not.toBe(approvalIdOf(permission));
    expect(approvalIdOf(input({ session_id: 'with spaces/and slashes' }))).toMatch(/^claude-code:[0-9a-f]{48}$/);
  });

  it('offers a form for short flat inputs and JSON for anything else (long or multi-line text, arrays)', () => {
    expect(editableSchema({ command: 'ls', timeout: 5, run_in_background: false })).toEqual({
      type: 'object',
      properties: {
        command: { type: 'string', title: 'command' },
        timeout: { type: 'integer', title: 'timeout' },
        run_in_background: { type: 'boolean', title: 'run_in_background' },
      },
      required: ['command', 'timeout', 'run_in_background'],
    });
    expect(editableSchema({ file_path: '/a', content: 'x'.repeat(5000) })).toEqual({ type: 'object' });
    expect(editableSchema({ file_path: '/a', content: 'line\n' })).toEqual({ type: 'object' });
    expect(editableSchema({ edits: [{ old_string: 'a', new_string: 'b' }] })).toEqual({ type: 'object' });
  });

  it('carries the tool input as context and the options as routing', () => {
    expect(
      approvalRequestOf(input(), {
        approvers: ['U0BOB'],
        channel: 'C0OPS',
        approvalTimeoutSeconds: 900,
        callbackUrl: 'https://ci.example.com/resume',
      }),
    ).toEqual({
      id: 'claude-code:abc123:toolu_01',
      title: 'Claude Code: Bash: ls',
      explanation: 'Claude Code wants to use Bash in /srv/app (session abc123).',
      context: { command: 'ls' },
      modificationsSchema: editableSchema({ command: 'ls' }),
      requestedBy: 'claude-code',
      actionKey: 'Bash',
      taskId: 'abc123',
      approvers: ['U0BOB'],
      channel: 'C0OPS',
      timeoutSeconds: 900,
      callbackUrl: 'https://ci.example.com/resume',
    });
  });
});

describe('a PermissionRequest hook', () => {
  let g: TestGatehouse;
  let client: GatehouseClient;
  beforeAll(async () => {
    g = await startGatehouse({ slack: false });
    client = new GatehouseClient({ url: g.url, token: API_TOKEN, env: {} });
  });
  afterAll(async () => {
    await g.stop();
  });

  const permission = (command: string) =>
    JSON.stringify({
      ...input({ hook_event_name: 'PermissionRequest', tool_input: { command } }),
      tool_use_id: undefined,
    });

  async function decideWhenAsked(command: string, decision: 'approve' | 'reject', extra: object = {}) {
    const id = approvalIdOf(
      input({ hook_event_name: 'PermissionRequest', tool_use_id: undefined, tool_input: { command } }),
    );
    await eventually(
      () => g.gatehouse.gate.get(id).catch(() => null),
      (r) => r !== null,
    );
    await g.gatehouse.gate.decide(id, { decision, decidedBy: 'U0ALICE', via: 'api', ...extra });
  }

  it('answers with decision.behavior: allow with the edited input, deny with the message', async () => {
    const options = { waitSeconds: 30, onTimeout: 'deny' as const };
    const edited = runClaudeCodeHook(client, permission('npm run deploy'), options);
    await decideWhenAsked('npm run deploy', 'approve', { modifications: { command: 'npm run deploy -- --dry-run' } });
    expect((await edited).output).toEqual({
      hookSpecificOutput: {
        hookEventName: 'PermissionRequest',
        decision: { behavior: 'allow', updatedInput: { command: 'npm run deploy -- --dry-run' } },
      },
    });

    const refused = runClaudeCodeHook(client, permission('rm -rf /'), options);
    await decideWhenAsked('rm -rf /', 'reject', { feedback: 'no' });
    expect((await refused).output).toEqual({
      hookSpecificOutput: {
        hookEventName: 'PermissionRequest',
        decision: { behavior: 'deny', message: 'Rejected by U0ALICE via api: no' },
      },
    });
  });

  it('on timeout with ask, withdraws the request and prints nothing, so Claude Code shows its own dialog', async () => {
    const result = await runClaudeCodeHook(client, permission('make release'), { waitSeconds: 0, onTimeout: 'ask' });
    expect(result.output).toBeNull();
    const id = approvalIdOf(
      input({ hook_event_name: 'PermissionRequest', tool_use_id: undefined, tool_input: { command: 'make release' } }),
    );
    expect((await g.gatehouse.gate.get(id)).status).toBe('cancelled');
  });
});
