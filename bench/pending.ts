import { ApprovalGate } from '../src/approvals/gate.js';
import type { Store } from '../src/store/types.js';
import { collect, sleep } from './stats.js';

/**
 * Memory and CPU with `count` approvals pending at once, each with an agent awaiting it; the
 * baseline is the same number of agents polling the store once a second.
 */
export async function measurePending(store: Store, count: number, idleMs: number) {
  const gate = new ApprovalGate({ store });
  for (let i = 0; i < count; i += 500) {
    await Promise.all(
      Array.from({ length: Math.min(500, count - i) }, (_, j) => gate.submit({ id: `seed-${i + j}`, title: 'seed' })),
    );
  }
  await collect();
  const before = process.memoryUsage();
  const waiting: Array<Promise<unknown>> = [];
  for (let i = 0; i < count; i++) waiting.push(gate.waitForDecision(`seed-${i}`).catch(() => undefined));
  await sleep(500); // every waiter has read its record and subscribed
  await collect();
  const after = process.memoryUsage();
  const cpuBefore = process.cpuUsage();
  await sleep(idleMs);
  const cpu = process.cpuUsage(cpuBefore);
  gate.stop();

  const pollCpu = await measurePollingBaseline(gate, count, idleMs);
  return {
    heapPerPending: (after.heapUsed - before.heapUsed) / count,
    rssDelta: after.rss - before.rss,
    idleCpuMs: (cpu.user + cpu.system) / 1000,
    pollingCpuMs: pollCpu,
    armed: count,
    waiting: waiting.length,
  };
}

async function measurePollingBaseline(gate: ApprovalGate, count: number, idleMs: number) {
  let running = true;
  const pollers = Array.from({ length: count }, async (_, i) => {
    await sleep(Math.random() * 1000);
    while (running) {
      await gate.get(`seed-${i}`);
      await sleep(1000);
    }
  });
  await sleep(1000);
  const cpuBefore = process.cpuUsage();
  await sleep(idleMs);
  const cpu = process.cpuUsage(cpuBefore);
  running = false;
  await Promise.all(pollers);
  return (cpu.user + cpu.system) / 1000;
}
