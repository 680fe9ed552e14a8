import type { Response } from 'express';
import { html, type SafeHtml } from './html.js';
import { CSRF_FIELD, type Principal, type Visit, visitOf } from './session.js';

/** The pages of the main navigation. */
const NAV = [
  { href: '/', label: 'Inbox' },
  { href: '/history', label: 'History' },
  { href: '/dashboard', label: 'Dashboard' },
  { href: '/tasks', label: 'Tasks' },
  { href: '/grants', label: 'Grants' },
] as const;

/**
 * No inline script or style anywhere, no framing, nothing from elsewhere: scripts, styles and
 * the charting library are files this server serves.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

/** The hidden CSRF field of a form. */
export function csrfField(visit: Visit): SafeHtml {
  return html`<input type="hidden" name="${CSRF_FIELD}" value="${visit.csrf}">`;
}

function whoLine(principal: Principal | null, visit: Visit): SafeHtml {
  if (!principal) return html`<p class="who">Not signed in.</p>`;
  if (principal.kind === 'local') {
    return html`<p class="who local" role="note"><strong>Local operator</strong>: no sign-in, because
      <code>GATEHOUSE_API_TOKEN</code> is not set and this page was opened from this machine. Anyone here can
      decide; set the token to require sign-in.</p>`;
  }
  const id = principal.userId && principal.userId !== principal.name ? ` (${principal.userId})` : '';
  return html`<div class="who"><span>Signed in as <strong>${principal.name}</strong>${id}</span>
    <form method="post" action="/signout">${csrfField(visit)}<button type="submit" class="link">Sign out</button></form></div>`;
}

/** Options of one page. */
export interface PageOptions {
  /** The request path, to mark the current navigation entry. */
  path: string;
  /** Extra scripts (paths under /static) after the app's own. */
  scripts?: string[];
  status?: number;
}

/** Sends a whole page: header with the signed-in person (or the local-operator note), navigation, `body`. */
export function sendPage(res: Response, title: string, body: SafeHtml, options: PageOptions): void {
  const visit = visitOf(res);
  const current = (href: string) =>
    href === '/' ? options.path === '/' : options.path === href || options.path.startsWith(`${href}/`);
  const nav = NAV.map(
    ({ href, label }) =>
      html`<li><a href="${href}"${current(href) ? html` aria-current="page"` : ''}>${label}</a></li>`,
  );
  const scripts = ['/static/app.js', ...(options.scripts ?? [])].map(
    (src) => html`<script src="${src}" defer></script>`,
  );
  const document = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${title} · Gatehouse</title>
<link rel="stylesheet" href="/static/app.css">
${scripts}
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
  <p class="brand"><a href="/">Gatehouse</a></p>
  <nav aria-label="Main"><ul>${nav}</ul></nav>
  ${whoLine(visit.principal, visit)}
</header>
<main id="main" tabindex="-1">
<h1>${title}</h1>
${body}
</main>
<div id="live" class="visually-hidden" aria-live="polite"></div>
</body>
</html>`;
  res
    .status(options.status ?? 200)
    .type('html')
    .send(document.value);
}

/** A short page saying what went wrong and where to go next. */
export function sendMessage(res: Response, status: number, title: string, message: string, path: string): void {
  sendPage(res, title, html`<p>${message}</p><p><a href="/">Back to the inbox</a></p>`, { path, status });
}
