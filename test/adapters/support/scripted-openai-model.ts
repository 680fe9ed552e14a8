import { type Model, type ModelRequest, type ModelResponse, Usage } from '@openai/agents';

/** A function call the scripted model makes. */
export interface ScriptedCall {
  callId: string;
  name: string;
  arguments: object;
}

/** The outputs of the function calls in a request's input, by call id. */
export function callOutputs(request: ModelRequest): Record<string, string> {
  const items = Array.isArray(request.input) ? request.input : [];
  const outputs: Record<string, string> = {};
  for (const item of items as Array<{ type?: string; callId?: string; output?: unknown }>) {
    if (item.type !== 'function_call_result' || !item.callId) continue;
    const output = item.output as string | { text?: string } | undefined;
    outputs[item.callId] = typeof output === 'string' ? output : (output?.text ?? JSON.stringify(output));
  }
  return outputs;
}

/**
 * A `Model` of the OpenAI Agents SDK that plays a script, the SDK's way of plugging in a model:
 * it makes `calls` while their outputs are missing from the input, then answers with `finish`
 * given those outputs. Every request is kept, to check what the model was told.
 */
export class ScriptedModel implements Model {
  readonly requests: ModelRequest[] = [];

  constructor(
    private readonly calls: ScriptedCall[],
    private readonly finish: (outputs: Record<string, string>) => string,
  ) {}

  async getResponse(request: ModelRequest): Promise<ModelResponse> {
    this.requests.push(request);
    const outputs = callOutputs(request);
    const missing = this.calls.filter((call) => !(call.callId in outputs));
    const output: ModelResponse['output'] =
      missing.length > 0
        ? missing.map((call) => ({
            type: 'function_call' as const,
            callId: call.callId,
            name: call.name,
            arguments: JSON.stringify(call.arguments),
            status: 'completed' as const,
          }))
        : [
            {
              type: 'message' as const,
              role: 'assistant' as const,
              status: 'completed' as const,
              content: [{ type: 'output_text' as const, text: this.finish(outputs) }],
            },
          ];
    return { usage: new Usage(), output, responseId: `resp_${this.requests.length}` };
  }

  // biome-ignore lint/correctness/useYield: the adapter never streams; a stream request is a test failure
  async *getStreamedResponse(): AsyncIterable<never> {
    throw new Error('the scripted model does not stream');
  }
}
