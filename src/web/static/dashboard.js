// Draws the dashboard's charts with Chart.js from the figures the page carries as JSON.
(() => {
  const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  const draw = () => {
    const data = JSON.parse(document.getElementById('dashboard-data')?.textContent ?? '{}');
    const { Chart } = window;
    if (!Chart || !data.tasks) return;
    const text = css('--text');
    const line = css('--line');
    Chart.defaults.color = text;
    Chart.defaults.borderColor = line;
    Chart.defaults.maintainAspectRatio = false;
    Chart.defaults.animation = false;
    const colors = { critical: '#d93025', warning: '#f29900', info: '#1a73e8', approved: '#188038', rejected: '#d93025', timeout: '#f29900', cancelled: '#80868b' };
    const day = (d) => d.slice(5);

    new Chart(document.getElementById('chart-cost'), {
      data: {
        labels: data.tasks.costPerDay.map((d) => day(d.day)),
        datasets: [
          { type: 'bar', label: 'Cost (USD)', data: data.tasks.costPerDay.map((d) => d.costUsd), backgroundColor: '#1a73e8' },
          { type: 'line', label: 'Budget (USD)', data: data.tasks.costPerDay.map((d) => d.budgetUsd), borderColor: '#f29900', backgroundColor: '#f29900' },
        ],
      },
      options: { scales: { y: { beginAtZero: true } } },
    });

    const outcomes = ['approved', 'rejected', 'timeout', 'cancelled'];
    // Minutes, unless every day's decisions took under two of them.
    const slowest = Math.max(0, ...data.approvals.days.map((d) => d.avgDecisionSeconds ?? 0));
    const unit = slowest < 120 ? { name: 'seconds', per: 1 } : { name: 'minutes', per: 60 };
    new Chart(document.getElementById('chart-approvals'), {
      data: {
        labels: data.approvals.days.map((d) => day(d.day)),
        datasets: [
          ...outcomes.map((o) => ({ type: 'bar', label: o, data: data.approvals.days.map((d) => d[o]), backgroundColor: colors[o], stack: 'outcomes', yAxisID: 'y' })),
          {
            type: 'line',
            label: `Time to decision (${unit.name})`,
            data: data.approvals.days.map((d) => (d.avgDecisionSeconds === null ? null : d.avgDecisionSeconds / unit.per)),
            borderColor: text,
            backgroundColor: text,
            yAxisID: 'time',
            spanGaps: true,
          },
        ],
      },
      options: {
        scales: {
          x: { stacked: true },
          y: { stacked: true, beginAtZero: true, title: { display: true, text: 'approvals' }, ticks: { precision: 0 } },
          time: { position: 'right', beginAtZero: true, grid: { drawOnChartArea: false }, title: { display: true, text: unit.name } },
        },
      },
    });

    const severities = ['critical', 'warning', 'info'];
    new Chart(document.getElementById('chart-alerts'), {
      type: 'bar',
      data: {
        labels: data.alerts.perHour.map((h) => `${h.hour.slice(11, 13)}h`),
        datasets: severities.map((s) => ({ label: s, data: data.alerts.perHour.map((h) => h[s]), backgroundColor: colors[s] })),
      },
      options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } },
    });

    const states = ['running', 'interrupted', 'failed', 'cancelled', 'completed'];
    new Chart(document.getElementById('chart-tasks'), {
      type: 'bar',
      data: {
        labels: states,
        datasets: [{ label: 'tasks', data: states.map((s) => data.tasks.counts[s]), backgroundColor: ['#1a73e8', '#f29900', '#d93025', '#80868b', '#188038'] }],
      },
      options: { indexAxis: 'y', plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } },
    });
    document.body.dataset.charts = 'drawn';
  };
  document.addEventListener('DOMContentLoaded', draw);
})();
