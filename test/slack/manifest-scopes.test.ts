import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The bot scope each Web API method Gatehouse calls needs (none: any token may call it). */
const SCOPES: Record<string, string[]> = {
  'auth.test': [],
  'chat.postMessage': ['chat:write'],
  'chat.postEphemeral': ['chat:write'],
  'chat.update': ['chat:write'],
  'views.open': [],
  'views.publish': [],
  // users.info also gives the e-mail address (e-mailing approvers while Slack is down) with users:read.email.
  'users.info': ['users:read', 'users:read.email'],
  'usergroups.users.list': ['usergroups:read'],
  // Workflow Builder steps complete with the bot token; Slack asks for no scope of its own.
  'functions.completeSuccess': [],
  'functions.completeError': [],
  // Sign-in by e-mail link maps the address to its Slack user.
  'users.lookupByEmail': ['users:read.email'],
  // A retried announcement looks for its earlier post by its metadata.
  'conversations.history': ['channels:history', 'groups:history'],
};
/** Scopes that no method call shows: slash commands, and posting to public channels the bot was not invited to. */
const WITHOUT_A_CALL = [
  'commands',
  'chat:write.public',
  // Many workspaces: which team a channel is in (conversations.info through the routed client).
  'channels:read',
  'groups:read',
];

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? sources(path) : entry.name.endsWith('.ts') ? [readFileSync(path, 'utf8')] : [];
  });
}

describe('manifest.yml', () => {
  it('asks for exactly the scopes of the Web API methods Gatehouse calls', () => {
    const called = new Set(
      sources(join(ROOT, 'src')).flatMap((text) =>
        [
          ...text.matchAll(
            /\bclient\.((?:chat|users|usergroups|views|conversations|reactions|files|auth|apps|functions)\.[a-zA-Z.]+)\(/g,
          ),
        ].map((m) => m[1] ?? ''),
      ),
    );
    const unknown = [...called].filter((method) => !(method in SCOPES));
    expect(unknown, 'methods whose scope this test does not know yet').toEqual([]);
    const needed = new Set([...[...called].flatMap((method) => SCOPES[method] ?? []), ...WITHOUT_A_CALL]);
    const manifest = parse(readFileSync(join(ROOT, 'manifest.yml'), 'utf8')) as {
      oauth_config: { scopes: { bot: string[] } };
    };
    expect(new Set(manifest.oauth_config.scopes.bot)).toEqual(needed);
  });
});
