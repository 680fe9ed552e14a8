import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApprovalRecord } from '../../src/approvals/types.js';
import { ActionId, InputId, ViewId } from '../../src/slack/blocks/ids.js';
import { eventually } from '../support/eventually.js';
import { API_TOKEN, startGatehouse, type TestGatehouse } from '../support/gatehouse.js';
import { blockActionsPayload, viewSubmissionPayload } from '../support/slack-requests.js';
import type { CliResult } from './support.js';

const BIN = fileURLToPath(new URL('../../bin/gatehouse.js', import.meta.url));
const GATED = ['--tools', 'Bash|Write|Edit'];

let g: TestGatehouse;
let env: Record<string, string>;
beforeAll(async () => {
  g = await startGatehouse();
  env = { GATEHOUSE_URL: g.url, GATEHOUSE_API_TOKEN: API_TOKEN };
});
afterAll(async () => {
  await g.stop();
});

/** Runs `gatehouse hook claude-code …` as Claude Code runs a command hook: the event's JSON on stdin. */
function hook(args: string[], stdin: string, extraEnv: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'hook', 'claude-code', ...args], {
      env: { PATH: process.env.PATH ?? '', ...env, ...extraEnv },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

let seq = 0;
/** The documented PreToolUse input of a Bash call. */
function preToolUse(toolInput: Record<string, unknown>, toolName = 'Bash') {
  seq += 1;
  return {
    session_id: `sess-${seq}`,
    transcript_path: '/home/dev/.claude/projects/app/transcript.jsonl',
    cwd: '/home/dev/app',
    permission_mode: 'default',
    hook_event_name: 'PreToolUse',
    tool_name: toolName,
    tool_input: toolInput,
    tool_use_id: `toolu_01ABC${seq}`,
  };
}

const idOf = (input: { session_id: string; tool_use_id: string }) =>
  `claude-code:${input.session_id}:${input.tool_use_id}`;

/** The approval once the hook has asked for it and its Slack message is posted. */
const posted = (id: string) =>
  eventually(
    () => g.gatehouse.gate.get(id).catch(() => null),
    (r) => r?.message != null,
    15_000,
  ) as Promise<ApprovalRecord>;

const click = (actionId: string, record: ApprovalRecord, userId = 'U0ALICE') =>
  g.slackPost(blockActionsPayload({ actionId, value: record.id, userId, messageTs: record.message!.ts }));

/** Opens the modal behind `actionId` and submits `values` in it. */
async function submitModal(actionId: string, callbackId: string, record: ApprovalRecord, values: object) {
  expect((await click(actionId, record)).status).toBe(200);
  const opened = await g.slack!.waitFor('views.open', (c) => c.body.view.private_metadata.includes(record.id));
  const res = await g.slackPost(
    viewSubmissionPayload({
      callbackId,
      privateMetadata: opened.body.view.private_metadata,
      values: values as Parameters<typeof viewSubmissionPayload>[0]['values'],
    }),
  );
  expect(res.status).toBe(200);
  return opened;
}

describe.concurrent('gatehouse hook claude-code, run as Claude Code runs it', () => {
  it('allows the call when an approver clicks Approve in Slack', async () => {
    const input = preToolUse({ command: 'npm publish', description: 'Publish the package' });
    const run = hook(GATED, JSON.stringify(input));
    const record = await posted(idOf(input));
    expect(record).toMatchObject({
      title: 'Claude Code: Bash: npm publish',
      context: { command: 'npm publish', description: 'Publish the package' },
      requestedBy: 'claude-code',
    });
    await click(ActionId.Approve, record);
    const { code, stdout, stderr } = await run;
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({
      hookSpecificOutput: {
        hookEventName: 'PreToolUse',
        permissionDecision: 'allow',
        permissionDecisionReason: 'Approved in Gatehouse by U0ALICE via slack',
      },
    });
    expect(stderr).toContain(`approved: ${idOf(input)} by U0ALICE via slack`);
  });

  it('allows the edited call with updatedInput and tells the model what the approver changed', async () => {
    const input = preToolUse({ command: 'rm -rf build', description: 'Clean the build', timeout: 60000 });
    const run = hook(GATED, JSON.stringify(input));
    const record = await posted(idOf(input));
    const opened = await submitModal(ActionId.ApproveWithChanges, ViewId.Changes, record, {
      'mod:command': { value: 'rm -rf build/tmp' },
      'mod:description': { value: 'Clean the build' },
      'mod:timeout': { value: '60000' },
    });
    // The form offers each field of the tool's input, prefilled.
    const inputs = opened.body.view.blocks.filter((b: { type: string }) => b.type === 'input');
    expect(inputs.map((b: { block_id: string }) => b.block_id)).toEqual([
      'mod:command',
      'mod:description',
      'mod:timeout',
      'feedback',
    ]);
    expect(inputs[0].element.initial_value).toBe('rm -rf build');
    const { code, stdout } = await run;
    expect(code).toBe(0);
    const { hookSpecificOutput: out } = JSON.parse(stdout);
    expect(out).toMatchObject({
      hookEventName: 'PreToolUse',
      permissionDecision: 'allow',
      updatedInput: { command: 'rm -rf build/tmp', description: 'Clean the build', timeout: 60000 },
    });
    expect(out.additionalContext).toContain('approved this Bash call only after changing it');
    expect(out.additionalContext).toContain('command: "rm -rf build" → "rm -rf build/tmp"');
  });

  it('denies the call with the reason the approver gave when rejecting', async () => {
    const input = preToolUse({ file_path: '/home/dev/app/.env', content: 'SECRET=1\n' }, 'Write');
    const run = hook(GATED, JSON.stringify(input));
    const record = await posted(idOf(input));
    await submitModal(ActionId.Reject, ViewId.Reject, record, {
      [InputId.Reason.block]: { [InputId.Reason.action]: 'Never write .env files' },
    });
    const { code, stdout } = await run;
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({
      hookSpecificOutput: {
        hookEventName: 'PreToolUse',
        permissionDecision: 'deny',
        permissionDecisionReason: 'Rejected by U0ALICE via slack: Never write .env files',
      },
    });
  });

  it('defers on timeout in a headless run, and the resumed call finds the decision made meanwhile', async () => {
    const input = preToolUse({ command: 'terraform apply' });
    const first = await hook([...GATED, '--timeout', '1s', '--on-timeout', 'defer'], JSON.stringify(input));
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toEqual({
      hookSpecificOutput: { hookEventName: 'PreToolUse', permissionDecision: 'defer' },
    });
    const record = await posted(idOf(input));
    expect(record.status).toBe('pending');

    await click(ActionId.Approve, record, 'U0BOB');
    await eventually(
      () => g.gatehouse.gate.get(record.id),
      (r) => r.status === 'approved',
    );
    // `claude -p --resume` fires PreToolUse again for the same tool call: same session, same tool_use_id.
    const resumed = await hook([...GATED, '--timeout', '1s', '--on-timeout', 'defer'], JSON.stringify(input));
    expect(JSON.parse(resumed.stdout).hookSpecificOutput).toMatchObject({
      permissionDecision: 'allow',
      permissionDecisionReason: 'Approved in Gatehouse by U0BOB via slack',
    });
  });

  it('by default denies on timeout and withdraws the request, so nobody approves a call that never runs', async () => {
    const input = preToolUse({ command: 'git push --force' });
    const { code, stdout } = await hook([...GATED, '--timeout', '1s'], JSON.stringify(input));
    expect(code).toBe(0);
    const { hookSpecificOutput: out } = JSON.parse(stdout);
    expect(out.permissionDecision).toBe('deny');
    expect(out.permissionDecisionReason).toContain(`No decision in Gatehouse within 1 s on ${idOf(input)}`);
    expect((await g.gatehouse.gate.get(idOf(input))).status).toBe('cancelled');
  });

  it('lets tools the matcher leaves out pass without asking', async () => {
    const input = preToolUse({ file_path: '/home/dev/app/README.md' }, 'Read');
    const { code, stdout } = await hook([], JSON.stringify(input), { GATEHOUSE_HOOK_TOOLS: 'Bash|Write|Edit' });
    expect({ code, stdout }).toEqual({ code: 0, stdout: '' });
    await expect(g.gatehouse.gate.get(idOf(input))).rejects.toThrow(/not found/);
  });

  it('exits 2 on its own errors, so Claude Code blocks the call', async () => {
    const garbled = await hook(GATED, '{"hook_event_name": "PreToolUse"');
    expect(garbled.code).toBe(2);
    expect(garbled.stderr).toContain('stdin: is not the JSON of a Claude Code hook');

    const unreachable = await hook(GATED, JSON.stringify(preToolUse({ command: 'ls' })), {
      GATEHOUSE_URL: 'http://127.0.0.1:9',
    });
    expect(unreachable).toMatchObject({ code: 2, stdout: '' });
    expect(unreachable.stderr).toContain('cannot reach Gatehouse at http://127.0.0.1:9');
    expect(unreachable.stderr).toContain('(the tool call is blocked)');
  });
});
