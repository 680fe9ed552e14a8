import type { AddressInfo } from 'node:net';
import express, { type Express } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { alertInputSchema } from '../../src/alerts/schema.js';
import { approvalRequestSchema } from '../../src/approvals/schema.js';
import {
  approvalSchema,
  errorSchema,
  JSON_SCHEMA_OPTIONS,
  openApiDocument,
  openApiHandler,
} from '../../src/http/openapi.js';
import { createHttpApp, mountHttp } from '../../src/http/server.js';
import { API_TOKEN, startGatehouse, type TestGatehouse } from '../support/gatehouse.js';

type Json = Record<string, unknown>;
// biome-ignore lint/suspicious/noExplicitAny: the document is walked by path below; its shape is what is under test.
const doc = openApiDocument() as any;

/** Express 5 (router 2) layers, as far as the walk needs them. */
interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
  rawPath?: unknown;
  handle: { stack?: Layer[] };
}

/** Every `METHOD /path` an express app answers, with `:id` written `{id}` as OpenAPI does. */
function routesOf(stack: Layer[], prefix = ''): string[] {
  return stack.flatMap((layer) => {
    const { route } = layer;
    if (route) {
      const path = `${prefix}${route.path}`.replace(/:(\w+)/g, '{$1}');
      return Object.keys(route.methods).map((method) => `${method.toUpperCase()} ${path}`);
    }
    if (!layer.handle.stack) return [];
    expect(typeof layer.rawPath, 'a mounted router has a string path').toBe('string');
    const mount = layer.rawPath === '/' ? '' : String(layer.rawPath);
    return routesOf(layer.handle.stack, prefix + mount);
  });
}

const documented = (): string[] =>
  Object.entries(doc.paths as Record<string, Json>).flatMap(([path, item]) =>
    Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
  );

/** The component a `{ $ref: '#/components/schemas/X' }` points at. */
const resolve = (pointer: { $ref: string }) =>
  pointer.$ref
    .slice(2)
    .split('/')
    .reduce((node, key) => node?.[key], doc);

const withoutDialect = ({ $schema: _dialect, ...rest }: Json) => rest;

let g: TestGatehouse;
beforeAll(async () => {
  g = await startGatehouse({ slack: false });
});
afterAll(async () => {
  await g.stop();
});

describe('OpenAPI document', () => {
  it('is an OpenAPI 3.1 document with paths, components and a bearer scheme', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
    expect(Object.keys(doc.paths).length).toBeGreaterThanOrEqual(10);
    expect(doc.components.securitySchemes.bearerAuth).toEqual({
      type: 'http',
      scheme: 'bearer',
      description: expect.any(String),
    });
    expect(doc.security).toEqual([{ bearerAuth: [] }]);
    expect(doc.paths['/healthz'].get.security).toEqual([]);
    for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, Json>>)) {
      for (const [method, operation] of Object.entries(item)) {
        expect(operation.responses, `${method} ${path}`).toBeTypeOf('object');
        expect(operation.operationId, `${method} ${path}`).toBeTypeOf('string');
      }
    }
  });

  it('has every $ref resolve from the document root', () => {
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"([^"]+)"/g)].map((m) => m[1] as string);
    expect(refs.length).toBeGreaterThan(20);
    for (const $ref of new Set(refs)) {
      expect($ref).toMatch(/^#\/components\//);
      expect(resolve({ $ref }), $ref).toBeTypeOf('object');
    }
    expect(JSON.stringify(doc)).not.toContain('$defs');
  });

  it('describes POST /approvals with the very schema that validates it', () => {
    const schema = doc.paths['/api/v1/approvals'].post.requestBody.content['application/json'].schema;
    // The same JSON Schema, its `$defs` (any JSON value: `context`, `modificationsSchema`) moved to one component.
    const fromZod = JSON.stringify(z.toJSONSchema(approvalRequestSchema, JSON_SCHEMA_OPTIONS)).replace(
      /#\/\$defs\/\w+/g,
      '#/components/schemas/JsonValue',
    );
    const { $defs, ...expected } = withoutDialect(JSON.parse(fromZod));
    expect(resolve(schema)).toEqual(expected);
    expect(Object.keys($defs as Json).length).toBeGreaterThan(0);
    for (const def of Object.values($defs as Json)) expect(def).toEqual(doc.components.schemas.JsonValue);
    // Request bodies describe what a client sends; with no transforms that is also what is validated.
    expect(z.toJSONSchema(approvalRequestSchema, JSON_SCHEMA_OPTIONS)).toEqual(z.toJSONSchema(approvalRequestSchema));
  });

  it('describes POST /alerts with the schema that validates it', () => {
    const schema = doc.paths['/api/v1/alerts'].post.requestBody.content['application/json'].schema;
    expect(resolve(schema)).toEqual(withoutDialect(z.toJSONSchema(alertInputSchema, JSON_SCHEMA_OPTIONS) as Json));
  });

  it('documents every route the running app registers', () => {
    // Built as createGatehouse builds it: the Gatehouse does not expose its express app.
    const app: Express = createHttpApp();
    mountHttp(app, { ...g.gatehouse, apiToken: API_TOKEN, slack: 'off', shutdown: new AbortController().signal });
    const registered = routesOf(app.router.stack as unknown as Layer[]);
    expect(registered).toEqual(
      expect.arrayContaining([
        'POST /api/v1/approvals',
        'GET /api/v1/approvals/{id}',
        'POST /api/v1/approvals/{id}/decision',
        'GET /healthz',
        'GET /metrics',
      ]),
    );
    const missing = registered.filter((route) => !documented().includes(route));
    expect(missing, 'routes missing from the OpenAPI document').toEqual([]);
  });

  it('describes approvals and errors as the server really answers them', async () => {
    const created = await g.api('/api/v1/approvals', {
      json: { id: 'openapi-1', title: 'Deploy', context: { env: ['prod', 1, null] }, callbackUrl: 'https://x.test/cb' },
    });
    approvalSchema.strict().parse(await created.json());
    const decided = await g.api('/api/v1/approvals/openapi-1/decision', {
      json: { decision: 'approve', decidedBy: 'ci', feedback: 'ok', modifications: { replicas: 2 } },
    });
    const body = approvalSchema.strict().parse(await decided.json());
    expect(body.decision).toMatchObject({ decidedBy: 'ci', via: 'api', modifications: { replicas: 2 } });

    const refused = await g.api('/api/v1/approvals', { json: { title: '' } });
    expect(refused.status).toBe(400);
    expect(errorSchema.strict().parse(await refused.json()).issues).toEqual([
      { field: 'title', message: 'must not be empty' },
    ]);
  });

  it('is served as JSON by openApiHandler', async () => {
    const app = express().get('/api/v1/openapi.json', openApiHandler);
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const res = await fetch(`http://127.0.0.1:${port}/api/v1/openapi.json`);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await res.json()).toEqual(JSON.parse(JSON.stringify(doc)));
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
