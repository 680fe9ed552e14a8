import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';

/** One message the fake accepted, with its text parts decoded. */
export interface ReceivedMail {
  /** Envelope sender (MAIL FROM). */
  from: string;
  /** Envelope recipients (RCPT TO). */
  to: string[];
  /** The message as it came over the wire, headers and body. */
  raw: string;
  subject: string;
  /** Decoded text/plain part, line endings normalised to `\n`; '' when absent. */
  text: string;
  /** Decoded text/html part, line endings normalised to `\n`; '' when absent. */
  html: string;
}

/** SMTP command at which a scripted rejection answers. */
export type RejectStage = 'MAIL' | 'RCPT' | 'DATA';

export interface FakeSmtpOptions {
  /** Port to listen on; 0 (the default) picks a free one. */
  port?: number;
}

interface Rejection {
  code: number;
  message: string;
  stage: RejectStage;
}

interface Waiter {
  predicate: (mail: ReceivedMail) => boolean;
  resolve: (mail: ReceivedMail) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * A real SMTP server on 127.0.0.1 for tests (smtp-server). No TLS, authentication optional and
 * any credentials accepted. Rejections can be scripted per transaction, and the server can be
 * stopped and restarted on the same port to simulate an outage.
 */
export class FakeSmtp {
  /** Every accepted message, oldest first. */
  readonly messages: ReceivedMail[] = [];
  #port: number;
  #server: SMTPServer | undefined;
  #rejections: Rejection[] = [];
  // The rejection drawn for a transaction lives as long as its session.
  #sessionRejections = new WeakMap<SMTPServerSession, Rejection>();
  #waiters = new Set<Waiter>();

  private constructor(port: number) {
    this.#port = port;
  }

  /** Starts a fake listening on loopback. */
  static async start(options: FakeSmtpOptions = {}): Promise<FakeSmtp> {
    const fake = new FakeSmtp(options.port ?? 0);
    await fake.#listen();
    return fake;
  }

  get port(): number {
    return this.#port;
  }

  /** `smtp://127.0.0.1:PORT`, ready for the Mailer's `smtpUrl`. */
  get url(): string {
    return `smtp://127.0.0.1:${this.#port}`;
  }

  /**
   * Resolves with the first message, already received or still to come, that matches `predicate`
   * (any message by default). Rejects after `timeoutMs`.
   */
  waitFor(predicate: (mail: ReceivedMail) => boolean = () => true, timeoutMs = 5000): Promise<ReceivedMail> {
    const found = this.messages.find(predicate);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        predicate,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.#waiters.delete(waiter);
          reject(new Error(`FakeSmtp: no matching message within ${timeoutMs} ms (${this.messages.length} received)`));
        }, timeoutMs).unref(),
      };
      this.#waiters.add(waiter);
    });
  }

  /**
   * Rejects the next `count` mail transactions with `code` and `message` at `stage`: a 4xx code
   * is a transient failure for the client, a 5xx one a permanent failure. At RCPT every recipient
   * of the transaction is refused.
   */
  rejectNext(count: number, code: number, message: string, stage: RejectStage = 'RCPT'): void {
    for (let i = 0; i < count; i++) this.#rejections.push({ code, message, stage });
  }

  /** Stops listening and drops open connections; clients now get ECONNREFUSED. */
  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Listens again on the same port after `stop()`. */
  async restart(): Promise<void> {
    await this.stop();
    await this.#listen();
  }

  /** Stops the server for good and fails every pending `waitFor`. */
  async close(): Promise<void> {
    await this.stop();
    for (const waiter of this.#waiters) {
      clearTimeout(waiter.timer);
      waiter.reject(new Error('FakeSmtp closed'));
    }
    this.#waiters.clear();
  }

  #listen(): Promise<void> {
    const server = new SMTPServer({
      authOptional: true,
      allowInsecureAuth: true,
      disabledCommands: ['STARTTLS'],
      disableReverseLookup: true,
      logger: false,
      // Open connections must not hold stop() for smtp-server's default 30 s.
      closeTimeout: 50,
      onAuth: (auth, _session, callback) => callback(null, { user: auth.username }),
      onMailFrom: (_address, session, callback) => {
        const rejection = this.#rejections.shift();
        if (rejection) this.#sessionRejections.set(session, rejection);
        else this.#sessionRejections.delete(session);
        callback(rejection?.stage === 'MAIL' ? smtpError(rejection) : undefined);
      },
      onRcptTo: (_address, session, callback) => {
        const rejection = this.#sessionRejections.get(session);
        callback(rejection?.stage === 'RCPT' ? smtpError(rejection) : undefined);
      },
      onData: (stream, session, callback) => this.#receive(stream, session, callback),
    });
    return new Promise((resolve, reject) => {
      const onStartError = (error: Error) => reject(error);
      server.once('error', onStartError);
      server.listen(this.#port, '127.0.0.1', () => {
        server.off('error', onStartError);
        // Client-side resets surface here; they are part of what the fake simulates.
        server.on('error', () => {});
        const address = server.server.address();
        if (address && typeof address === 'object') this.#port = address.port;
        this.#server = server;
        resolve();
      });
    });
  }

  #receive(stream: SMTPServerDataStream, session: SMTPServerSession, callback: (error?: Error | null) => void): void {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => {
      const rejection = this.#sessionRejections.get(session);
      if (rejection?.stage === 'DATA') return callback(smtpError(rejection));
      const raw = Buffer.concat(chunks).toString('utf8');
      const envelope = session.envelope;
      const mail: ReceivedMail = {
        from: envelope.mailFrom ? envelope.mailFrom.address : '',
        to: envelope.rcptTo.map((rcpt) => rcpt.address),
        raw,
        ...parseMail(raw),
      };
      this.messages.push(mail);
      for (const waiter of this.#waiters) {
        if (!waiter.predicate(mail)) continue;
        clearTimeout(waiter.timer);
        this.#waiters.delete(waiter);
        waiter.resolve(mail);
      }
      callback();
    });
  }
}

function smtpError(rejection: Rejection): Error {
  return Object.assign(new Error(rejection.message), { responseCode: rejection.code });
}

// A small MIME reader for what nodemailer emits: folded headers, RFC 2047 encoded-words,
// multipart bodies, and 7bit/8bit, quoted-printable or base64 parts. `mailparser` is not a
// dependency, and tests only need the subject and the two text parts.

interface MimePart {
  headers: Map<string, string>;
  body: string;
}

function parseMail(raw: string): Pick<ReceivedMail, 'subject' | 'text' | 'html'> {
  const root = splitPart(raw);
  // The last CRLF ends the final line of the DATA section; it is not part of the body.
  root.body = root.body.replace(/\r?\n$/, '');
  const found: { text?: string; html?: string } = {};
  collectTextParts(root, found);
  return { subject: decodeWords(root.headers.get('subject') ?? ''), text: found.text ?? '', html: found.html ?? '' };
}

function splitPart(source: string): MimePart {
  const match = /\r?\n\r?\n/.exec(source);
  const head = match ? source.slice(0, match.index) : source;
  const body = match ? source.slice(match.index + match[0].length) : '';
  const headers = new Map<string, string>();
  for (const line of head.replace(/\r?\n(?=[ \t])/g, '').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { headers, body };
}

function collectTextParts(part: MimePart, found: { text?: string; html?: string }): void {
  const contentType = part.headers.get('content-type') ?? 'text/plain';
  const mediaType = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  if (mediaType.startsWith('multipart/')) {
    const boundary = /boundary="?([^";]+)"?/i.exec(contentType)?.[1];
    if (!boundary) return;
    const sections = part.body.split(`--${boundary}`);
    // sections[0] is the preamble; the section after the closing delimiter starts with "--".
    for (const section of sections.slice(1)) {
      if (section.startsWith('--')) break;
      collectTextParts(splitPart(section.replace(/^\r?\n/, '').replace(/\r?\n$/, '')), found);
    }
    return;
  }
  if (/^\s*attachment/i.test(part.headers.get('content-disposition') ?? '')) return;
  const key = mediaType === 'text/html' ? 'html' : mediaType === 'text/plain' ? 'text' : undefined;
  if (!key || found[key] !== undefined) return;
  const charset = /charset="?([^";]+)"?/i.exec(contentType)?.[1] ?? 'utf-8';
  const encoding = (part.headers.get('content-transfer-encoding') ?? '7bit').toLowerCase();
  found[key] = decodeBody(part.body, encoding, charset).replace(/\r\n/g, '\n');
}

function decodeBody(body: string, encoding: string, charset: string): string {
  if (encoding === 'base64') return new TextDecoder(charset).decode(Buffer.from(body, 'base64'));
  if (encoding === 'quoted-printable') return new TextDecoder(charset).decode(decodeQuotedPrintable(body));
  return body;
}

function decodeQuotedPrintable(input: string): Uint8Array {
  const source = input.replace(/=\r?\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < source.length; i++) {
    const hex = source[i] === '=' ? source.slice(i + 1, i + 3) : '';
    if (/^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(source[i] ?? '', 'utf8'));
    }
  }
  return Uint8Array.from(bytes);
}

/** Decodes RFC 2047 encoded-words; adjacent words are joined as bytes, since a split may cut a character. */
function decodeWords(value: string): string {
  const word = /=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=/g;
  let out = '';
  let last = 0;
  let pending: { charset: string; bytes: Buffer[] } | undefined;
  const flush = () => {
    if (pending) out += new TextDecoder(pending.charset).decode(Buffer.concat(pending.bytes));
    pending = undefined;
  };
  for (let match = word.exec(value); match; match = word.exec(value)) {
    const [, charsetSpec = 'utf-8', kind = 'Q', text = ''] = match;
    const between = value.slice(last, match.index);
    // Whitespace between two encoded-words is not part of the text (RFC 2047 §6.2).
    if (!pending || between.trim() !== '') {
      flush();
      out += between;
    }
    // An RFC 2231 language suffix ("utf-8*en") is not part of the charset.
    const charset = charsetSpec.split('*')[0] ?? 'utf-8';
    const bytes =
      kind.toUpperCase() === 'B'
        ? Buffer.from(text, 'base64')
        : Buffer.from(decodeQuotedPrintable(text.replace(/_/g, ' ')));
    if (pending && pending.charset.toLowerCase() !== charset.toLowerCase()) flush();
    pending ??= { charset, bytes: [] };
    pending.bytes.push(bytes);
    last = match.index + match[0].length;
  }
  flush();
  return out + value.slice(last);
}
