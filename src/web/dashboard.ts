import { Router } from 'express';
import { dashboardSummary, type ListQueries, SUMMARY_DAYS } from '../http/lists.js';
import { html, jsonBlock, type SafeHtml } from './html.js';
import { sendPage } from './layout.js';

/** "1 h 5 min", "42 s", or a dash when there is nothing to measure. */
export function duration(seconds: number | null): string {
  if (seconds === null) return '–';
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}

const usd = (n: number) => `$${n.toFixed(2)}`;

function figure(label: string, value: string, note?: string): SafeHtml {
  return html`<div class="figure"><dt>${label}</dt><dd>${value}${note ? html` <span class="muted">${note}</span>` : ''}</dd></div>`;
}

function chart(id: string, title: string, description: string): SafeHtml {
  return html`<figure class="chart card"><figcaption id="${id}-title">${title}</figcaption>
    <div class="canvas-box"><canvas id="${id}" role="img" aria-labelledby="${id}-title" aria-describedby="${id}-desc"></canvas></div>
    <p id="${id}-desc" class="muted small">${description}</p></figure>`;
}

/** The dashboard: task, approval and alert figures, and their charts (drawn by Chart.js in the page). */
export function dashboardRoutes(queries: ListQueries): Router {
  const router = Router();
  router.get('/dashboard', async (_req, res) => {
    const summary = await dashboardSummary(queries, SUMMARY_DAYS);
    const { tasks, approvals, alerts } = summary;
    const cost = tasks.costPerDay.reduce((sum, day) => sum + day.costUsd, 0);
    const budget = tasks.costPerDay.reduce((sum, day) => sum + day.budgetUsd, 0);
    const body = html`<dl class="figures">
        ${figure('Running tasks', String(tasks.counts.running))}
        ${figure('Interrupted tasks', String(tasks.counts.interrupted), 'resumable')}
        ${figure('Completion time', duration(tasks.completionSeconds.avg), `avg · p95 ${duration(tasks.completionSeconds.p95)}`)}
        ${figure('Failure rate', tasks.failureRate === null ? '–' : `${Math.round(tasks.failureRate * 100)} %`, `last ${summary.days} days`)}
        ${figure('Cost', usd(cost), `of ${usd(budget)} budgeted, last ${summary.days} days`)}
        ${figure('Pending approvals', String(approvals.pending))}
        ${figure('Time to decision', duration(approvals.decisionSeconds.avg), `avg · p95 ${duration(approvals.decisionSeconds.p95)}`)}
        ${figure('Alerts, last 24 h', String(alerts.bySeverity.critical + alerts.bySeverity.warning + alerts.bySeverity.info), `${alerts.bySeverity.critical} critical · ${alerts.bySeverity.warning} warning · ${alerts.bySeverity.info} info`)}
      </dl>
      <div class="charts">
        ${chart('chart-cost', 'Cost per day against budget (USD)', `Spend of the tasks started each day, and the sum of their budgets: ${usd(cost)} of ${usd(budget)} over ${summary.days} days.`)}
        ${chart('chart-approvals', 'Approvals per day and time to decision', `Outcomes of the approvals decided each day, and their mean time to decision. ${approvals.decisionSeconds.count} decisions by people in ${summary.days} days.`)}
        ${chart('chart-alerts', 'Alerts in the last 24 hours by severity', `${alerts.bySeverity.critical} critical, ${alerts.bySeverity.warning} warning and ${alerts.bySeverity.info} info alerts, per hour.`)}
        ${chart('chart-tasks', 'Tasks by state', `${tasks.counts.running} running, ${tasks.counts.interrupted} interrupted, ${tasks.counts.failed} failed, ${tasks.counts.cancelled} cancelled, ${tasks.counts.completed} completed.`)}
      </div>
      ${jsonBlock('dashboard-data', summary)}`;
    sendPage(res, 'Dashboard', body, {
      path: '/dashboard',
      scripts: ['/static/vendor/chart.umd.min.js', '/static/dashboard.js'],
    });
  });
  return router;
}
