/**
 * Who belongs to a group of approvers, as the surface that owns the group knows it (Slack user
 * groups, `S…`). The gate asks it at decision time, so someone removed from a group can no longer
 * decide; the domain never learns how groups are stored or fetched.
 */
export interface ApproverDirectory {
  /** Whether this approver id names a group rather than a person. */
  isGroup(id: string): boolean;
  /**
   * The members of `group`. With `fresh`, the source is asked again (a decision); without, a
   * recent answer may do (showing the Home tab). Throws when the members cannot be known.
   */
  membersOf(group: string, options?: { fresh?: boolean }): Promise<readonly string[]>;
}

/** Why someone may not decide a request. */
export type Ineligibility = 'no_approvers' | 'not_approver';

/** How the gate decides who may decide. */
export interface EligibilityRules {
  /** With no approvers on a request: true lets anyone decide, false (the default) nobody. */
  allowAnyApprover: boolean;
  directory?: ApproverDirectory | undefined;
}

/**
 * Whether `user` may decide a request listing `approvers`: listed by id, or a member of a listed
 * group. Fails closed: no approvers means nobody, unless `allowAnyApprover`.
 */
export async function eligibility(
  approvers: readonly string[],
  user: string,
  rules: EligibilityRules,
  options: { fresh?: boolean } = {},
): Promise<Ineligibility | null> {
  if (approvers.length === 0) return rules.allowAnyApprover ? null : 'no_approvers';
  if (approvers.includes(user)) return null;
  const { directory } = rules;
  if (!directory) return 'not_approver';
  for (const group of approvers.filter((id) => directory.isGroup(id))) {
    if ((await directory.membersOf(group, options)).includes(user)) return null;
  }
  return 'not_approver';
}
