import { randomBytes, timingSafeEqual } from 'node:crypto';
import { type Response, Router } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { MailMessage } from '../email/mailer.js';
import type { RecordStore, Versioned } from '../store/types.js';
import { html } from './html.js';
import { csrfField, sendMessage, sendPage } from './layout.js';
import { endSession, startSession, visitOf } from './session.js';
import { LINK_MINUTES, newSignInLink, signSignInLink, verifySignInLink } from './signin-links.js';

/** A person found for an e-mail address: the Slack user id approver lists name. */
export interface KnownPerson {
  userId: string;
  name: string;
}

/** Slack's OpenID Connect ("Sign in with Slack"). */
export interface SlackOpenId {
  clientId: string;
  clientSecret: string;
  /** Where the browser is sent to consent: Slack's `/openid/connect/authorize`. */
  authorizeUrl: string;
  /** `openid.connect.token`: the code for an access token. */
  token(args: { code: string; redirectUri: string }): Promise<{ accessToken: string }>;
  /** `openid.connect.userInfo` with that token. */
  userInfo(accessToken: string): Promise<{ userId: string; name: string; email: string | null }>;
}

/** Options of the sign-in routes. */
export interface SignInOptions {
  publicUrl: string;
  /** Signs the e-mailed links. */
  secret: string;
  secure: boolean;
  now: () => number;
  logger: Logger;
  /** Sends the sign-in e-mail; without it there is no e-mail sign-in. */
  send?: (message: MailMessage) => Promise<{ ok: boolean; error?: string }>;
  /** The approver an address belongs to (Slack's users.lookupByEmail, or APPROVER_EMAILS). */
  lookup: (email: string) => Promise<KnownPerson | null>;
  /** Used link nonces: inserting one twice fails, so a link signs in once. */
  usedLinks: RecordStore<Versioned & { usedAt: string }>;
  slack?: SlackOpenId;
}

const STATE_COOKIE = 'gatehouse_oidc_state';
const emailSchema = z.object({ email: z.email('enter an e-mail address').max(320) });

/** "Sign in with Slack" (OpenID Connect) and one-time sign-in links by e-mail; sign-out. */
export function signInRoutes(options: SignInOptions): Router {
  const { publicUrl, secret, secure, now, logger, send, lookup, usedLinks, slack } = options;
  const router = Router();
  const redirectUri = `${publicUrl}/signin/slack/callback`;

  const signInPage = (res: Response, status = 200, notice?: string) => {
    const visit = visitOf(res);
    const methods = [
      slack ? html`<p><a class="button primary" href="/signin/slack">Sign in with Slack</a></p>` : '',
      send
        ? html`<form method="post" action="/signin/email" class="signin">${csrfField(visit)}
            <div class="field"><label for="email">Your work e-mail address</label>
            <input type="email" id="email" name="email" autocomplete="email" required></div>
            <div class="buttons"><button type="submit" class="primary">E-mail me a sign-in link</button></div></form>`
        : '',
    ];
    const none =
      !slack && !send
        ? html`<p>No sign-in method is configured. Set <code>SMTP_URL</code> and <code>EMAIL_FROM</code> (sign-in links by
            e-mail, with <code>APPROVER_EMAILS</code> or Slack to map addresses), or <code>SLACK_CLIENT_ID</code> and
            <code>SLACK_CLIENT_SECRET</code> (Sign in with Slack). Without <code>GATEHOUSE_API_TOKEN</code>, opening
            Gatehouse from its own machine needs no sign-in.</p>`
        : '';
    sendPage(
      res,
      'Sign in',
      html`${notice ? html`<p class="notice" role="status">${notice}</p>` : ''}${methods}${none}`,
      {
        path: '/signin',
        status,
      },
    );
  };

  router.get('/signin', (_req, res) => {
    if (visitOf(res).principal) return res.redirect(303, '/');
    signInPage(res);
  });

  router.post('/signin/email', async (req, res) => {
    if (!send) return signInPage(res, 404, 'Sign-in by e-mail is not configured.');
    const parsed = emailSchema.safeParse(req.body);
    if (!parsed.success) return signInPage(res, 400, 'Enter an e-mail address, like alice@example.com.');
    const email = parsed.data.email.trim().toLowerCase();
    const person = await lookup(email).catch((error: unknown) => {
      logger.warn({ err: error }, 'could not look up a sign-in address');
      return null;
    });
    if (person) {
      const token = signSignInLink(newSignInLink({ email, ...person }, now()), secret);
      const url = `${publicUrl}/signin/link/${token}`;
      const sent = await send({
        to: [email],
        subject: 'Your Gatehouse sign-in link',
        text: `Open this link to sign in to Gatehouse as ${person.name} (${person.userId}). It works once, for ${LINK_MINUTES} minutes:\n\n${url}\n\nIf you did not ask for it, ignore this e-mail.`,
        html: html`<p>Open this link to sign in to Gatehouse as ${person.name} (${person.userId}). It works once, for ${LINK_MINUTES} minutes:</p><p><a href="${url}">Sign in to Gatehouse</a></p><p>If you did not ask for it, ignore this e-mail.</p>`
          .value,
      });
      if (!sent.ok) logger.warn({ error: sent.error }, 'could not send a sign-in link');
    }
    // The same answer whether or not the address is known, so the form does not tell who is an approver.
    signInPage(
      res,
      200,
      `If ${email} belongs to an approver, a sign-in link is on its way. It works once, for ${LINK_MINUTES} minutes.`,
    );
  });

  // Opening the link only asks to confirm: mail scanners open links too.
  router.get('/signin/link/:token', (req, res) => {
    const check = verifySignInLink(req.params.token, secret, now());
    if (!check.ok) return linkRefused(res, check.reason);
    const visit = visitOf(res);
    const { link } = check;
    sendPage(
      res,
      'Sign in',
      html`<p>Sign in as <strong>${link.name}</strong> (${link.email})?</p>
        <form method="post" action="/signin/link/${req.params.token}">${csrfField(visit)}
        <div class="buttons"><button type="submit" class="primary">Sign in</button></div></form>`,
      { path: '/signin' },
    );
  });

  router.post('/signin/link/:token', async (req, res) => {
    const check = verifySignInLink(req.params.token, secret, now());
    if (!check.ok) return linkRefused(res, check.reason);
    const { link } = check;
    const { created } = await usedLinks.insert({ id: link.nonce, version: 1, usedAt: new Date(now()).toISOString() });
    if (!created)
      return sendMessage(
        res,
        409,
        'This link was already used',
        'Sign-in links work once. Ask for a new one.',
        '/signin',
      );
    startSession(res, { kind: 'email', userId: link.userId, name: link.name, email: link.email }, { secure, now });
    res.redirect(303, '/');
  });

  router.get('/signin/slack', (_req, res) => {
    if (!slack)
      return sendMessage(
        res,
        404,
        'Sign in with Slack is off',
        'Set SLACK_CLIENT_ID and SLACK_CLIENT_SECRET to turn it on.',
        '/signin',
      );
    const state = randomBytes(18).toString('base64url');
    res.cookie(STATE_COOKIE, state, {
      httpOnly: true,
      sameSite: 'lax',
      secure,
      signed: true,
      maxAge: 10 * 60_000,
      path: '/signin/slack',
    });
    const url = new URL(slack.authorizeUrl);
    url.search = new URLSearchParams({
      response_type: 'code',
      scope: 'openid email profile',
      client_id: slack.clientId,
      state,
      redirect_uri: redirectUri,
    }).toString();
    res.redirect(302, url.toString());
  });

  router.get('/signin/slack/callback', async (req, res) => {
    if (!slack)
      return sendMessage(
        res,
        404,
        'Sign in with Slack is off',
        'Set SLACK_CLIENT_ID and SLACK_CLIENT_SECRET to turn it on.',
        '/signin',
      );
    const expected = (req.signedCookies as Record<string, unknown>)[STATE_COOKIE];
    const state = typeof req.query.state === 'string' ? req.query.state : '';
    const code = typeof req.query.code === 'string' ? req.query.code : '';
    res.clearCookie(STATE_COOKIE, { path: '/signin/slack' });
    const sameState =
      typeof expected === 'string' &&
      expected.length === state.length &&
      timingSafeEqual(Buffer.from(expected), Buffer.from(state));
    if (!sameState || !code) {
      return sendMessage(
        res,
        400,
        'Sign-in did not complete',
        'The answer from Slack does not belong to this browser’s sign-in. Start again.',
        '/signin',
      );
    }
    try {
      const { accessToken } = await slack.token({ code, redirectUri });
      const person = await slack.userInfo(accessToken);
      startSession(
        res,
        { kind: 'slack', userId: person.userId, name: person.name, email: person.email },
        { secure, now },
      );
    } catch (error) {
      logger.warn({ err: error }, 'Sign in with Slack failed');
      return sendMessage(
        res,
        502,
        'Sign-in did not complete',
        'Slack did not confirm who you are. Try again.',
        '/signin',
      );
    }
    res.redirect(303, '/');
  });

  router.post('/signout', (_req, res) => {
    endSession(res, secure);
    res.redirect(303, '/signin');
  });

  return router;
}

function linkRefused(res: Response, reason: 'malformed' | 'forged' | 'expired'): void {
  const messages = {
    malformed: [
      400,
      'This is not a complete sign-in link',
      'The address may have been cut. Open the link straight from the e-mail.',
    ],
    forged: [403, 'This sign-in link is not valid', 'Its signature does not match. Ask for a new link.'],
    expired: [410, 'This sign-in link has expired', `Links work for ${LINK_MINUTES} minutes. Ask for a new one.`],
  } as const;
  const [status, title, message] = messages[reason];
  sendMessage(res, status, title, message, '/signin');
}
