import type { AlertRecord } from '../../src/alerts/types.js';

/** A failure alert as the AlertManager stores it; override what the test is about. */
export function alertRecord(overrides: Partial<AlertRecord> = {}): AlertRecord {
  return {
    id: 'al_1',
    kind: 'failure',
    severity: 'critical',
    dedupKey: 'failure:campaign-42:launch',
    taskId: 'campaign-42',
    stage: 'launch',
    title: 'Task campaign-42 failed at stage launch',
    message: '',
    error: 'Error: connect ECONNRESET\n    at launch (campaign.ts:42:7)',
    currentCost: null,
    budget: null,
    percent: null,
    durationSeconds: null,
    count: 1,
    firstSeen: '2024-05-01T10:00:00.000Z',
    lastSeen: '2024-05-01T10:00:00.000Z',
    route: { slack: ['C0ALERTS'], email: [] },
    deliveries: [],
    version: 1,
    ...overrides,
  };
}
