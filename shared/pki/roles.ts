// What a person may do through the coordinator's API (SPEC §8): viewer reads, operator
// starts and steers runs, approver approves gates. Operator certificates carry their roles as
// OU values `lockstep-role:NAME`, next to the clientAuth usage (certificate-identity.ts reads them).
import { LockstepError } from '../errors.js';

export const OPERATOR_ROLES = ['viewer', 'operator', 'approver'] as const;
export type OperatorRole = (typeof OPERATOR_ROLES)[number];

const ROLE_UNIT_PREFIX = 'lockstep-role:';

/** `operator,approver` → the roles, each once; anything else names the field. */
export function parseRoles(list: string, field: string): OperatorRole[] {
  const names = list.split(',').map((name) => name.trim()).filter((name) => name !== '');
  if (names.length === 0) throw new LockstepError('LOCKSTEP_E_INVALID_ARGUMENT', `${field}: give at least one of ${OPERATOR_ROLES.join(', ')}`, { field });
  for (const name of names) {
    if (!isOperatorRole(name)) throw new LockstepError('LOCKSTEP_E_INVALID_ARGUMENT', `${field}: "${name}" is not a role (roles: ${OPERATOR_ROLES.join(', ')})`, { field });
  }
  return OPERATOR_ROLES.filter((role) => names.includes(role));
}

export function isOperatorRole(name: string): name is OperatorRole {
  return (OPERATOR_ROLES as readonly string[]).includes(name);
}

/** The OU values that grant `roles` in an operator certificate. */
export function roleUnits(roles: readonly OperatorRole[]): string[] {
  return roles.map((role) => `${ROLE_UNIT_PREFIX}${role}`);
}

/** The roles the OU values of a certificate grant; unknown names grant nothing. */
export function rolesFromUnits(units: readonly string[]): OperatorRole[] {
  return OPERATOR_ROLES.filter((role) => units.includes(`${ROLE_UNIT_PREFIX}${role}`));
}
