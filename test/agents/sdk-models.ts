import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const sdkDir = dirname(createRequire(import.meta.url).resolve('@anthropic-ai/sdk'));

/** The model ids named in the installed SDK's `Model` union. */
export function sdkModels(): string[] {
  const types = readFileSync(join(sdkDir, 'resources/messages/messages.d.ts'), 'utf8');
  const union = /export type Model = ([^;]+);/.exec(types)?.[1];
  if (!union) throw new Error('Model union not found in the SDK typings');
  return [...union.matchAll(/'([^']+)'/g)].map((match) => match[1] as string);
}

/** The model ids the installed SDK warns about as deprecated (its generated list), with their end-of-life dates. */
export function sdkDeprecatedModels(): Record<string, string> {
  const require = createRequire(import.meta.url);
  const { DEPRECATED_MODELS } = require(join(sdkDir, 'internal/data/deprecated-models.js')) as {
    DEPRECATED_MODELS: Record<string, string>;
  };
  return DEPRECATED_MODELS;
}
