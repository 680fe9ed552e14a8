/**
 * Whether `toolName` matches a matcher written as in Claude Code's settings: `*`, empty or none
 * matches every tool; letters, digits, `_` and `|` only is a list of exact names (`Bash|Write|Edit`);
 * anything else is a JavaScript regular expression (`mcp__github__.*`, `^Notebook`).
 */
export function matchesTool(matcher: string | undefined, toolName: string): boolean {
  const pattern = matcher?.trim() ?? '';
  if (pattern === '' || pattern === '*') return true;
  if (/^[A-Za-z0-9_|]+$/.test(pattern)) return pattern.split('|').includes(toolName);
  return new RegExp(pattern).test(toolName);
}

/** The reason a matcher cannot be used, or null when it can. */
export function matcherProblem(matcher: string): string | null {
  try {
    matchesTool(matcher, '');
    return null;
  } catch (error) {
    return `is not a valid regular expression: ${(error as Error).message}`;
  }
}
