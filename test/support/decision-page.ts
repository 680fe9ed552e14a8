/**
 * Confirms a decision link as a browser does: opens the page (which sets the form cookie and
 * holds the form token), then posts its form with the cookie. When the page shows no form (an
 * expired or used link), the POST goes without a token, as a stale tab would send it.
 */
export async function confirmDecision(url: string, reason?: string, headers: Record<string, string> = {}) {
  const page = await fetch(url);
  const html = await page.text();
  const token = /name="form_token" value="([^"]+)"/.exec(html)?.[1];
  const cookie = (page.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const fields: Record<string, string> = token ? { form_token: token } : {};
  if (reason !== undefined) fields.reason = reason;
  return fetch(url, {
    method: 'POST',
    headers: { ...(cookie ? { cookie } : {}), ...headers },
    body: new URLSearchParams(fields),
  });
}
