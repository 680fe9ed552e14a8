import type { AgentAlerts } from '../../src/agents/types.js';

/** Records every alert the runtime sends. */
export class RecordingAlerts implements AgentAlerts {
  sent: Array<{ kind: string; input: object }> = [];
  async failure(input: object) {
    this.sent.push({ kind: 'failure', input });
  }
  async completion(input: object) {
    this.sent.push({ kind: 'completion', input });
  }
  async custom(input: object) {
    this.sent.push({ kind: 'custom', input });
  }
  async costWarning(input: object) {
    this.sent.push({ kind: 'cost_warning', input });
  }
  async budgetExceeded(input: object) {
    this.sent.push({ kind: 'budget_exceeded', input });
  }
  kinds() {
    return this.sent.map((a) => a.kind);
  }
}
