import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { manifestBotScopes } from '../../src/slack/oauth/app.js';
import { REQUEST_APPROVAL_STEP } from '../../src/slack/workflow/step-io.js';

const manifest = parse(readFileSync(new URL('../../manifest.yml', import.meta.url), 'utf8'));

describe('manifest.yml', () => {
  it('declares the Request approval step with its inputs and outputs, run by Gatehouse', () => {
    const step = manifest.functions[REQUEST_APPROVAL_STEP];
    expect(step.title).toBe('Request approval');
    expect(Object.keys(step.input_parameters.properties)).toEqual([
      'title',
      'details',
      'approvers',
      'timeout',
      'requested_by',
      'channel',
    ]);
    expect(step.input_parameters.required).toEqual(['title']);
    expect(Object.keys(step.output_parameters.properties)).toEqual([
      'decision',
      'decided_by',
      'reason',
      'edited_values',
    ]);
    expect(manifest.settings.function_runtime).toBe('remote');
    expect(manifest.settings.org_deploy_enabled).toBe(true);
    expect(manifest.settings.event_subscriptions.bot_events).toContain('function_executed');
  });

  it('is where an OAuth install takes its bot scopes from', () => {
    expect(manifestBotScopes()).toEqual(manifest.oauth_config.scopes.bot);
    expect(manifestBotScopes()).toContain('channels:read');
  });
});
