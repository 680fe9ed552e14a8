// Follows a running task: its panel is fetched again every two seconds until the task stops.
(() => {
  const FOLLOW_MS = 2000;
  const follow = async () => {
    const panel = document.getElementById('task-panel');
    if (!panel || panel.dataset.status !== 'running') return;
    if (panel.contains(document.activeElement)) return void setTimeout(follow, FOLLOW_MS);
    const response = await fetch(`/tasks/${encodeURIComponent(panel.dataset.task ?? '')}/panel`);
    if (response.ok) {
      const template = document.createElement('template');
      template.innerHTML = await response.text();
      const fresh = template.content.firstElementChild;
      if (fresh) panel.replaceWith(fresh);
    }
    setTimeout(follow, FOLLOW_MS);
  };
  document.addEventListener('DOMContentLoaded', () => setTimeout(follow, FOLLOW_MS));
})();
