import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** True for 127.0.0.0/8 and ::1, including IPv4-mapped IPv6 addresses. */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return v4.startsWith('127.') || address === '::1';
}

/**
 * Bearer-token check, compared in constant time (both sides hashed to the same length first).
 * Without a configured token the API answers loopback clients only.
 */
export function requireToken(token: string | undefined): RequestHandler {
  const expected = token === undefined ? undefined : digest(token);
  return (req, res, next) => {
    if (expected === undefined) {
      // A request relayed by a proxy on this machine arrives from loopback too: the forwarding
      // headers tell it came from elsewhere.
      const relayed = req.get('x-forwarded-for') !== undefined || req.get('forwarded') !== undefined;
      if (isLoopback(req.socket.remoteAddress) && !relayed) return next();
      res.status(401).json({
        error: 'unauthorized',
        message: 'GATEHOUSE_API_TOKEN is not set: the API answers loopback clients only',
      });
      return;
    }
    const match = /^Bearer\s+(.+)$/i.exec(req.get('authorization') ?? '');
    if (match?.[1] && timingSafeEqual(digest(match[1].trim()), expected)) return next();
    res
      .status(401)
      .set('WWW-Authenticate', 'Bearer realm="gatehouse"')
      .json({ error: 'unauthorized', message: 'missing or wrong bearer token (Authorization: Bearer …)' });
  };
}
