import { z } from 'zod';
import type { ApprovalRecord, ApprovalRequest, ApprovalResponse } from './types.js';

/** The library's view of a decided approval. */
export function toResponse(record: ApprovalRecord): ApprovalResponse {
  const status = record.status === 'pending' ? 'timeout' : record.status;
  return {
    id: record.id,
    status,
    isApproved: status === 'approved',
    feedback: record.decision?.feedback ?? null,
    modifications: record.decision?.modifications ?? null,
    original: record.decision?.original ?? null,
    edited: record.decision?.edited ?? false,
    decidedBy: record.decision?.decidedBy ?? null,
    decidedAt: record.decision?.decidedAt ?? null,
    via: record.decision?.via ?? null,
    approval: record,
  };
}

/** A zod schema for the modifications (TypeScript callers) becomes the JSON Schema that is stored. */
export function withJsonSchema(request: ApprovalRequest): unknown {
  const schema = request?.modificationsSchema;
  if (!schema || typeof schema !== 'object' || !('_zod' in schema)) return request;
  return { ...request, modificationsSchema: z.toJSONSchema(schema as z.ZodType) };
}
