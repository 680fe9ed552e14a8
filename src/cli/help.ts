const CONNECTION = `Connection:
  --url URL            Gatehouse's address (default: $GATEHOUSE_URL, else http://127.0.0.1:3000)
  GATEHOUSE_API_TOKEN  the API's bearer token, read from the environment
  --json               also print the answer as JSON on stdout`;

const HELP: Record<string, string> = {
  main: `gatehouse: approval gates and alerts for AI agents, from the shell

Usage:
  gatehouse serve                          run the server (configured by the environment and .env)
  gatehouse approval request --title …     ask for an approval; --wait to wait for the decision
  gatehouse approval get <id>              where an approval stands
  gatehouse approval decide <id> --approve|--reject
  gatehouse approval cancel <id>
  gatehouse alert --kind …                 send an alert
  gatehouse audit verify                   check the audit trail's hash chain (0 intact, 1 broken)
  gatehouse hook claude-code               a Claude Code PreToolUse / PermissionRequest hook (stdin → stdout)
  gatehouse mcp                            an MCP server on stdio with the approval and alert tools
  gatehouse help [command]                 this text, or a command's

Exit codes: 0 approved (or done), 1 rejected or cancelled, 2 timed out, 3 error,
4 still pending (approval get).

${CONNECTION}
`,
  approval: `Usage:
  gatehouse approval request --title TITLE [options]   ask for an approval
  gatehouse approval get <id> [--wait N]               where an approval stands
  gatehouse approval decide <id> --approve|--reject    decide it
  gatehouse approval cancel <id> [--reason TEXT]       withdraw it

See gatehouse approval <command> --help.
`,
  'approval request': `Usage: gatehouse approval request --title TITLE [options]

Asks for an approval. With --wait, waits for the decision and exits 0 approved, 1 rejected or
cancelled, 2 timed out, 3 on error. Without it, exits 0 once the request is made.

  --title TEXT             what is to be approved (required)
  --explanation TEXT       why, in a sentence or two
  --context JSON           details shown to approvers, e.g. '{"env":"prod"}'
  --context-file FILE      the same, from a JSON file
  --approvers U1,U2        Slack user ids who may decide (default: the server's APPROVERS)
  --timeout DURATION       90s, 30m, 2h, 1d or seconds (default: the server's)
  --id ID                  your id for it: asking again with the same id returns the same request
  --channel C…             Slack channel id to post it in
  --task ID                the task it belongs to
  --requested-by NAME      who asks
  --callback-url URL       where the decision is POSTed
  --wait                   wait for the decision

${CONNECTION}
`,
  'approval get': `Usage: gatehouse approval get <id> [--wait N] [--json]

Shows where an approval stands. With --wait N, waits up to N seconds for a decision.
Exits 0 approved, 1 rejected or cancelled, 2 timed out, 4 still pending, 3 on error.

${CONNECTION}
`,
  'approval decide': `Usage: gatehouse approval decide <id> --approve|--reject [options]

  --feedback TEXT               a note for the requester
  --by NAME                     who decides (default: $USER)
  --modifications JSON          changes the approver asks for, e.g. '{"replicas":2}'
  --modifications-file FILE     the same, from a JSON file

Exits 0 once decided, 3 on error (including: already decided).

${CONNECTION}
`,
  'approval cancel': `Usage: gatehouse approval cancel <id> [--reason TEXT] [--by NAME]

Withdraws a pending approval. Exits 0 once cancelled, 3 on error.

${CONNECTION}
`,
  alert: `Usage: gatehouse alert --kind KIND [options]

Sends an alert; Gatehouse routes it by severity. Exits 0 once accepted, 3 on error.

  --kind KIND          failure, cost_warning, budget_exceeded, completion or custom (required)
  --task ID            the task it is about (required for all kinds but custom)
  --stage NAME         the stage that failed
  --error TEXT         the error (failure)
  --cost USD           money spent so far (cost_warning, budget_exceeded)
  --budget USD         the task's budget (cost_warning, budget_exceeded)
  --duration SECONDS   how long the task ran (completion)
  --title TEXT         a title (custom: a title or a message is required)
  --message TEXT       the text
  --severity LEVEL     critical, warning or info (default: by kind)
  --dedup-key KEY      alerts with the same key within the window are grouped

${CONNECTION}
`,
  audit: `Usage: gatehouse audit verify

Checks that no entry of the audit trail was edited or deleted (each entry holds the hash of the one
before). Exits 0 when intact, 1 when broken (naming the first broken entry), 3 on error.

${CONNECTION}
`,
  'hook claude-code': `Usage: gatehouse hook claude-code [options]

A Claude Code command hook for PreToolUse and PermissionRequest: reads the hook's JSON on stdin,
asks for approval (one request per session and tool call, so a resumed session finds it again),
waits, and prints the decision as the hook's JSON on stdout: allow (with the approver's edits as
updatedInput), deny with the reason, or on timeout what --on-timeout says. Tools the matcher
leaves out pass without a word. Exits 2 on any error of its own, so Claude Code blocks the call.

  --tools MATCHER          tools that need approval, as in settings.json: Bash|Write|Edit, mcp__.*
                           (default: every tool the hook is called for)   $GATEHOUSE_HOOK_TOOLS
  --approvers U1,U2        who may decide (default: the server's APPROVERS) $GATEHOUSE_HOOK_APPROVERS
  --channel C…             Slack channel to ask in                         $GATEHOUSE_HOOK_CHANNEL
  --timeout DURATION       how long to wait (default 5m); keep it under the hook's "timeout" in
                           settings.json (600 s by default)                $GATEHOUSE_HOOK_TIMEOUT
  --on-timeout WHAT        deny (default): withdraw the request and refuse the call;
                           ask: withdraw it and let Claude Code ask at the terminal;
                           defer: keep it open and pause a headless run (claude -p) for
                           --resume, which finds the decision   $GATEHOUSE_HOOK_ON_TIMEOUT
  --approval-timeout DUR   the request's own deadline (default: the server's); with defer, long
                           enough for someone to answer before the resume $GATEHOUSE_HOOK_APPROVAL_TIMEOUT
  --requested-by NAME      who asks (default claude-code)                  $GATEHOUSE_HOOK_REQUESTED_BY
  --callback-url URL       where the decision is POSTed, e.g. what resumes deferred runs
                                                                           $GATEHOUSE_HOOK_CALLBACK_URL
  --url URL                Gatehouse's address (default: $GATEHOUSE_URL, else http://127.0.0.1:3000)
  GATEHOUSE_API_TOKEN      the API's bearer token, read from the environment
`,
  mcp: `Usage: gatehouse mcp [--url URL]

An MCP server on stdio for MCP clients (Claude Desktop, Claude Code, IDEs), talking to the Gatehouse
server at --url. Tools: request_approval (waits up to 45 s, then answers pending with the id),
wait_for_approval, get_approval, send_alert. Approvals are decided by Gatehouse's approvers in
Slack, never by the MCP client's user. The same tools are served over Streamable HTTP at /mcp.

  --url URL            Gatehouse's address (default: $GATEHOUSE_URL, else http://127.0.0.1:3000)
  GATEHOUSE_API_TOKEN  the API's bearer token, read from the environment
`,
  serve: `Usage: gatehouse serve

Runs the Gatehouse server, configured by the environment (variables in ./.env fill in the ones not
set). See .env.example for every variable. Stops cleanly on SIGTERM or SIGINT.
`,
};

/** The help text of `command` (`approval request`, `alert`, …), or the general one. */
export function helpFor(command = 'main'): string {
  return HELP[command] ?? HELP.main ?? '';
}

/** True when `command` has its own help text. */
export function hasHelp(command: string): boolean {
  return command in HELP && command !== 'main';
}
