// Live inbox: the server's event stream says which request changed; the entry is fetched again
// through the signed-in route (or removed once it is decided). No reload, nothing polled.
(() => {
  const live = (text) => {
    const region = document.getElementById('live');
    if (region) region.textContent = text;
  };
  const counts = () => {
    for (const section of ['mine', 'others']) {
      const list = document.querySelector(`.list[data-section="${section}"]`);
      const count = document.querySelector(`[data-count="${section}"]`);
      if (!list || !count) continue;
      const n = list.querySelectorAll('article[data-approval]').length;
      count.textContent = String(n);
      let empty = list.querySelector('.empty');
      if (n === 0 && !empty) {
        empty = document.createElement('p');
        empty.className = 'empty muted';
        empty.textContent = section === 'mine' ? 'Nothing waits for you.' : 'No other request is pending.';
        list.append(empty);
      } else if (n > 0 && empty) empty.remove();
    }
  };
  const entry = (id) => document.querySelector(`article[data-approval="${CSS.escape(id)}"]`);
  // Decided here or elsewhere: an answer fetched before the decision must not bring it back.
  const decided = new Set();
  const refresh = async (id) => {
    const response = await fetch(`/inbox/items/${encodeURIComponent(id)}`, { headers: { accept: 'text/html' } });
    if (decided.has(id)) return;
    if (response.status === 404) {
      entry(id)?.remove();
      counts();
      return;
    }
    if (!response.ok) return;
    const template = document.createElement('template');
    template.innerHTML = await response.text();
    const fresh = template.content.firstElementChild;
    if (!fresh || decided.has(id)) return;
    // Looked up after the last wait: two refreshes of one id in flight never insert it twice.
    const current = entry(id);
    // An entry being typed into is left alone: the next change or a decision updates it.
    if (current?.contains(document.activeElement) && document.activeElement !== document.body) return;
    const section = response.headers.get('x-inbox-section') ?? 'others';
    const list = document.querySelector(`.list[data-section="${section}"]`);
    if (current && current.parentElement === list) current.replaceWith(fresh);
    else {
      current?.remove();
      list?.prepend(fresh);
    }
    counts();
  };
  document.addEventListener('DOMContentLoaded', () => {
    const events = new EventSource('/events');
    events.addEventListener('approval', (message) => {
      const notice = JSON.parse(message.data);
      if (notice.type === 'decided') {
        decided.add(notice.id);
        const current = entry(notice.id);
        const title = current?.querySelector('h3')?.textContent?.trim();
        current?.remove();
        counts();
        if (title) live(`${title}: ${notice.status}${notice.actor ? ` by ${notice.actor}` : ''}${notice.via ? ` via ${notice.via}` : ''}`);
        return;
      }
      void refresh(notice.id);
    });
    document.body.dataset.live = 'connected';
  });
})();
