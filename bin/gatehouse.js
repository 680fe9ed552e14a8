#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx, from the repository or an npm install alike.
import { register } from 'tsx/esm/api';

register({ tsconfig: false });
await import('../src/cli/main.ts');
