// Keeps every deadline countdown (<time data-countdown>) current, once a second.
(() => {
  const relative = (target, now) => {
    const seconds = Math.round((target - now) / 1000);
    const abs = Math.abs(seconds);
    const text =
      abs < 60
        ? `${abs} s`
        : abs < 3600
          ? `${Math.floor(abs / 60)} min`
          : abs < 86400
            ? `${Math.floor(abs / 3600)} h ${Math.floor((abs % 3600) / 60)} min`
            : `${Math.floor(abs / 86400)} d ${Math.floor((abs % 86400) / 3600)} h`;
    return seconds >= 0 ? `in ${text}` : `${text} ago`;
  };
  const tick = () => {
    for (const element of document.querySelectorAll('time[data-countdown]')) {
      const target = Date.parse(element.getAttribute('datetime') ?? '');
      if (!Number.isNaN(target)) element.textContent = relative(target, Date.now());
    }
  };
  document.addEventListener('DOMContentLoaded', () => {
    tick();
    setInterval(tick, 1000);
  });
})();
