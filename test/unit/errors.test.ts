import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, LockstepError, describeError } from '../../shared/errors.js';

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
