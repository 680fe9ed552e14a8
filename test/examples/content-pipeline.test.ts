import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ClaudeAnswer } from '../../src/examples/ask.js';
import { FakeAnthropic, lastUserText } from '../support/fake-anthropic.js';
import { exampleTasks } from './support.js';

let fake: FakeAnthropic;

beforeAll(async () => {
  fake = await FakeAnthropic.start();
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => fake.reset());

describe('content-pipeline', () => {
  it('runs planning → reasoning → experimenting → reflecting, each call fed the answer before it', async () => {
    const t = exampleTasks(fake);
    const task = await t.tasks.start('content-pipeline', { topic: 'edge caching' }, { startedBy: 'api' });
    expect(task.stages.map((s) => s.name)).toEqual(['planning', 'reasoning', 'experimenting', 'reflecting']);
    const done = await t.tasks.settled(task.id);
    expect(done.status).toBe('completed');

    const prompts = fake.messageCalls.map((call) => lastUserText(call.body));
    expect(prompts).toHaveLength(4);
    expect(prompts[0]).toContain('edge caching for general readers');
    // The fake echoes each prompt: every prompt holds the answer to the one before it.
    for (let i = 1; i < prompts.length; i++) expect(prompts[i]).toContain(`Echo: ${prompts[i - 1]}`);

    const answers = Object.values(done.results) as ClaudeAnswer[];
    const spent = answers.reduce((sum, answer) => sum + answer.costUsd, 0);
    expect(spent).toBeGreaterThan(0);
    expect(done.costUsd).toBeCloseTo(spent, 12);
  });

  it('resumes after a failed call without paying again for the stages done', async () => {
    const t = exampleTasks(fake);
    fake.enqueue(
      (call) => fake.defaultReply(call),
      (call) => fake.defaultReply(call),
      { status: 400, body: { type: 'error', error: { type: 'invalid_request_error', message: 'bad' } } },
    );
    const task = await t.tasks.start('content-pipeline', { topic: 'queues', audience: 'SREs' }, { startedBy: 'api' });
    expect(await t.tasks.settled(task.id)).toMatchObject({ status: 'failed', stage: 'experimenting' });

    await t.tasks.resume(task.id);
    expect(await t.tasks.settled(task.id)).toMatchObject({ status: 'completed', runs: 2 });
    expect(fake.messageCalls).toHaveLength(5);
  });
});
