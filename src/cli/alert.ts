import type { AlertInput, AlertReceipt } from '../client/index.js';
import { CLIENT_FLAGS, expectPositionals, parseFlags, parseNumber } from './args.js';
import type { Context } from './context.js';
import { CliError, ExitCode } from './errors.js';
import { helpFor } from './help.js';

/** `gatehouse alert --kind … [fields]`: sends one alert; the server validates the combination. */
export async function alertCommand(ctx: Context, args: string[]): Promise<number> {
  const { values, positionals } = parseFlags('alert', args, {
    ...CLIENT_FLAGS,
    kind: { type: 'string' },
    task: { type: 'string' },
    stage: { type: 'string' },
    error: { type: 'string' },
    cost: { type: 'string' },
    budget: { type: 'string' },
    duration: { type: 'string' },
    title: { type: 'string' },
    message: { type: 'string' },
    severity: { type: 'string' },
    'dedup-key': { type: 'string' },
  });
  if (values.help) {
    ctx.io.stdout.write(helpFor('alert'));
    return ExitCode.Ok;
  }
  expectPositionals('alert', positionals, []);
  if (values.kind === undefined) {
    throw new CliError(
      '--kind is required: failure, cost_warning, budget_exceeded, completion or custom (see gatehouse alert --help)',
    );
  }
  const number = (flag: 'cost' | 'budget' | 'duration') => {
    const value = values[flag];
    return value === undefined ? undefined : parseNumber(flag, value);
  };
  // Checked by the server, which names every wrong field (an unknown kind included).
  const body = {
    kind: values.kind,
    taskId: values.task,
    stage: values.stage,
    error: values.error,
    currentCost: number('cost'),
    budget: number('budget'),
    durationSeconds: number('duration'),
    title: values.title,
    message: values.message,
    severity: values.severity,
    dedupKey: values['dedup-key'],
  };
  const alert = await ctx.client(values.url).alert(body as AlertInput);
  ctx.say(describeAlert(alert));
  if (values.json) ctx.print(alert);
  return ExitCode.Ok;
}

function describeAlert(alert: AlertReceipt): string {
  if (alert.suppressed) return `alert not sent (${alert.severity}): ${alert.suppressed}`;
  const targets = [...alert.routedTo.slack, ...alert.routedTo.email];
  const where = targets.length > 0 ? `to ${targets.join(', ')}` : 'with nowhere to go (no channel configured)';
  const grouped = alert.grouped ? `, grouped with earlier ones (${alert.count} in all)` : '';
  return `alert ${alert.id} sent (${alert.severity}) ${where}${grouped}`;
}
