import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_TOKEN, startGatehouse, type TestGatehouse } from '../support/gatehouse.js';
import { cli, fakeFetch, reply } from './support.js';

describe('gatehouse alert', () => {
  it('POSTs the alert built from the flags', async () => {
    const { fetch, calls } = fakeFetch(
      reply(
        { id: 'al-1', severity: 'warning', grouped: false, count: 1, routedTo: { slack: ['C0MON'], email: [] } },
        202,
      ),
    );
    const argv = ['alert', '--kind', 'cost_warning', '--task', 'research-1', '--stage', 'draft', '--cost', '8.5'];
    const { code, stderr } = await cli([...argv, '--budget', '10', '--dedup-key', 'research-cost'], { fetch });
    expect(code).toBe(0);
    expect(calls[0]).toMatchObject({
      method: 'POST',
      url: 'http://127.0.0.1:3000/api/v1/alerts',
      body: {
        kind: 'cost_warning',
        taskId: 'research-1',
        stage: 'draft',
        currentCost: 8.5,
        budget: 10,
        dedupKey: 'research-cost',
      },
    });
    expect(stderr).toBe('alert al-1 sent (warning) to C0MON\n');
  });

  describe('against a running Gatehouse', () => {
    let g: TestGatehouse;
    beforeAll(async () => {
      g = await startGatehouse({ slack: false });
    });
    afterAll(async () => {
      await g.stop();
    });
    const env = () => ({ GATEHOUSE_URL: g.url, GATEHOUSE_API_TOKEN: API_TOKEN });

    it('sends a failure alert, stored in the history, and prints the receipt with --json', async () => {
      const argv = [
        'alert',
        '--kind',
        'failure',
        '--task',
        'etl-9',
        '--stage',
        'load',
        '--error',
        'disk full',
        '--json',
      ];
      const { code, stdout, stderr } = await cli(argv, { env: env() });
      expect(code).toBe(0);
      const receipt = JSON.parse(stdout);
      expect(receipt).toMatchObject({ severity: 'critical', grouped: false, count: 1 });
      expect(stderr).toMatch(/^alert \S+ sent \(critical\) with nowhere to go/);
      const history = await (await g.api('/api/v1/alerts?taskId=etl-9')).json();
      expect(history.alerts).toEqual([expect.objectContaining({ id: receipt.id, stage: 'load', error: 'disk full' })]);

      const again = await cli(argv, { env: env() });
      expect(again.stderr).toContain('grouped with earlier ones (2 in all)');
    });

    it("reports the server's refusal, naming the fields", async () => {
      const { code, stderr } = await cli(['alert', '--kind', 'budget_exceeded', '--cost', '12'], { env: env() });
      expect(code).toBe(3);
      expect(stderr).toBe(
        'gatehouse: the server refused the request: taskId: required for a budget_exceeded alert; budget: required for a budget_exceeded alert\n',
      );
      const loud = await cli(['alert', '--kind', 'custom', '--title', 'hi', '--severity', 'loud'], { env: env() });
      expect(loud.stderr).toBe(
        'gatehouse: the server refused the request: severity: expected one of critical, warning, info\n',
      );
    });

    it('reports a wrong token', async () => {
      const { code, stderr } = await cli(['alert', '--kind', 'custom', '--title', 'hi'], {
        env: { GATEHOUSE_URL: g.url, GATEHOUSE_API_TOKEN: 'not-the-token-at-all' },
      });
      expect(code).toBe(3);
      expect(stderr).toContain('the server refused the token');
    });
  });
});
