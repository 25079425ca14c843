// Who the operator trail names, by transport (coordinator/grpc/caller.ts), and what
// `lockstep audit --since` accepts (coordinator/cli/audit-command.ts).
import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { parseSince } from '../../coordinator/cli/audit-command.js';
import { actingOperator, type Caller } from '../../coordinator/grpc/caller.js';
import { isLockstepError } from '../../shared/errors.js';

const roles = new Set(['viewer', 'operator'] as const);

describe('the operator an action is journaled under', () => {
  it('is the certificate under TLS, whatever the request claims, from the call\'s peer', () => {
    const caller: Caller = { name: 'alice', transport: 'tls', roles };
    expect(actingOperator(caller, 'ipv4:10.0.0.7:51514', 'mallory', '  CHG-1 ')).toEqual({ operator: 'alice', authenticated: true, transport: 'tls', address: 'ipv4:10.0.0.7:51514', comment: 'CHG-1' });
  });

  it('is the kernel\'s user on the socket, from the socket and pid the connection recorded', () => {
    const caller: Caller = { name: 'olga', transport: 'socket', roles, address: 'unix:/run/lockstep/coordinator.sock pid 77' };
    expect(actingOperator(caller, 'unix-peer#3', 'claimed-name', '')).toMatchObject({ operator: 'olga', authenticated: true, address: 'unix:/run/lockstep/coordinator.sock pid 77' });
  });

  it('is the claim, marked unauthenticated, on --insecure TCP; an empty claim is refused where one is required, and journaled as unclaimed where none was', () => {
    const caller: Caller = { name: '', transport: 'insecure-tcp', roles };
    expect(actingOperator(caller, '127.0.0.1:4242', 'alice', '')).toMatchObject({ operator: 'alice (unauthenticated)', authenticated: false, transport: 'insecure-tcp' });
    const refused = (() => {
      try {
        return actingOperator(caller, '127.0.0.1:4242', ' ', '');
      } catch (error) {
        return error;
      }
    })();
    expect(isLockstepError(refused, 'LOCKSTEP_E_INVALID_ARGUMENT') && refused.message).toMatch(/^operator: is required/);
    expect(actingOperator(caller, '127.0.0.1:4242', '', '', false).operator).toBe('(unclaimed) (unauthenticated)');
  });
});

describe('lockstep audit --since', () => {
  const now = Date.parse('2026-12-05T03:00:00Z');

  it('takes an ISO 8601 instant or a duration back from now', () => {
    expect(parseSince('2026-12-05T01:00:00Z', now)).toBe(Date.parse('2026-12-05T01:00:00Z'));
    expect(parseSince('2h', now)).toBe(Date.parse('2026-12-05T01:00:00Z'));
    expect(parseSince('1h30m', now)).toBe(Date.parse('2026-12-05T01:30:00Z'));
  });

  it('refuses anything else, saying what it expected', () => {
    for (const bad of ['yesterday', '12', '-2h', '']) {
      expect(() => parseSince(bad, now)).toThrow(InvalidArgumentError);
      expect(() => parseSince(bad, now)).toThrow(/neither an ISO 8601 time .* nor a duration/);
    }
  });
});
