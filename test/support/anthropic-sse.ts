import type { AnthropicJson } from './fake-anthropic.js';

/** One server-sent event as the Messages API writes it. */
function event(type: string, data: object): string {
  return `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
}

/** Splits a string into pieces of at most `size` characters, so deltas arrive in several parts. */
function pieces(text: string, size = 16): string[] {
  const out: string[] = [];
  for (let at = 0; at < text.length; at += size) out.push(text.slice(at, at + size));
  return out.length > 0 ? out : [''];
}

/**
 * A complete message as the stream of events `messages.stream()` reads: `message_start` with the
 * empty message, each content block as start / deltas / stop (text as `text_delta`s, tool input as
 * `input_json_delta`s of its JSON), then `message_delta` with the stop reason and usage, and `message_stop`.
 */
export function messageEvents(message: AnthropicJson): string {
  const { content = [], stop_reason, stop_sequence = null, usage = {} } = message;
  const out = [
    event('message_start', {
      message: {
        ...message,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { ...usage, output_tokens: 1 },
      },
    }),
  ];
  content.forEach((block: AnthropicJson, index: number) => {
    if (block.type === 'tool_use') {
      out.push(event('content_block_start', { index, content_block: { ...block, input: {} } }));
      for (const part of pieces(JSON.stringify(block.input ?? {}))) {
        out.push(event('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: part } }));
      }
    } else {
      out.push(event('content_block_start', { index, content_block: { ...block, text: '' } }));
      for (const part of pieces(block.text ?? '')) {
        out.push(event('content_block_delta', { index, delta: { type: 'text_delta', text: part } }));
      }
    }
    out.push(event('content_block_stop', { index }));
  });
  out.push(
    event('message_delta', {
      delta: { stop_reason, stop_sequence },
      usage: {
        output_tokens: usage.output_tokens ?? 0,
        input_tokens: usage.input_tokens ?? 0,
        cache_creation_input_tokens: usage.cache_creation_input_tokens ?? 0,
        cache_read_input_tokens: usage.cache_read_input_tokens ?? 0,
      },
    }),
    event('message_stop', {}),
  );
  return out.join('');
}
