import { readFileSync } from 'node:fs';
import { Metadata } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, LockstepError, NotLeaderError, describeError } from '../../shared/errors.js';
import { fromServiceError, toStatus } from '../../shared/wire/grpc-errors.js';

describe('error registry', () => {
  const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');

  it.each(Object.entries(ERROR_CODES))('%s is documented with its gRPC status', (code, { status }) => {
    const row = doc.split('\n').find((line) => line.startsWith(`| \`${code}\` |`));
    expect(row, `docs/errors.md has no row for ${code}`).toBeDefined();
    expect(row).toContain(`| ${status} |`);
  });

  it('documents no code that does not exist', () => {
    const documented = [...doc.matchAll(/^\| `(LOCKSTEP_E_[A-Z_]+)` \|/gm)].map((match) => match[1]);
    expect(documented.sort()).toEqual(Object.keys(ERROR_CODES).sort());
  });
});

describe('describeError', () => {
  it('keeps the cause chain, each message once', () => {
    const root = new Error('EACCES: permission denied');
    const middle = new LockstepError('LOCKSTEP_E_TLS', 'not a readable X.509 certificate', { cause: root });
    const top = new LockstepError('LOCKSTEP_E_CONFIG', `--dir: the CA cannot be used (${middle.message})`, { cause: middle });
    expect(describeError(top)).toBe('--dir: the CA cannot be used (not a readable X.509 certificate): EACCES: permission denied');
  });

  it("does not repeat a gRPC error's details under its translation", () => {
    const grpcError = Object.assign(new Error('14 UNAVAILABLE: No connection established'), { code: 14, details: 'No connection established' });
    expect(describeError(new LockstepError('LOCKSTEP_E_UNAVAILABLE', 'server1: No connection established', { cause: grpcError }))).toBe('server1: No connection established');
  });

  it('describes what is not an Error', () => {
    expect(describeError('plain')).toBe('plain');
    expect(describeError(new Error('outer', { cause: 42 }))).toBe('outer: 42');
  });
});

describe('NotLeaderError', () => {
  it("names the leader, or says that none is elected yet", () => {
    expect(new NotLeaderError('10.0.0.2:7450').message).toBe('this coordinator is a follower; the leader is 10.0.0.2:7450');
    expect(new NotLeaderError(undefined).message).toBe(
      'this coordinator is a follower and no leader is elected yet (etcd election in progress or etcd has no quorum)',
    );
    expect(new NotLeaderError('h2:7450').status).toBe('FAILED_PRECONDITION');
  });

  it.each([['10.0.0.2:7450'], [undefined]])('crosses the wire with its leader (%s)', (leader) => {
    const wire = toStatus(new NotLeaderError(leader));
    const received = fromServiceError(Object.assign(new Error(wire.details), wire, { code: wire.code ?? 0, details: wire.details ?? '', metadata: wire.metadata ?? new Metadata() }), 'coordinator h1:7450');
    expect(received).toBeInstanceOf(NotLeaderError);
    expect(received).toMatchObject({ code: 'LOCKSTEP_E_NOT_LEADER', leader, message: new NotLeaderError(leader).message });
  });
});
