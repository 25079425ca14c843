// The agent's settings: file and flags accept the same values, and a refusal names the
// file, the line and the setting, or the flag; the command line maps flags to settings.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveAgentConfig } from '../../agent/agent-config.js';
import { parseAgentCommandLine } from '../../agent/agent-flags.js';
import { isLockstepError } from '../../shared/errors.js';
import { makeTempDir } from '../support/temp-dir.js';

describe('agent configuration', () => {
  let temp: ReturnType<typeof makeTempDir>;
  const tls = { 'tls-ca': '/etc/lockstep/ca.pem', 'tls-cert': '/etc/lockstep/node.pem', 'tls-key': '/etc/lockstep/node.key' };

  beforeEach(() => {
    temp = makeTempDir();
  });
  afterEach(() => temp.remove());

  function file(text: string): string {
    const path = join(temp.dir, 'agent.yaml');
    writeFileSync(path, text);
    return path;
  }

  it('merges the file and the flags, the flags winning, with defaults for the rest', async () => {
    const path = file('listen: 10.0.0.5:7451\nhooks-dir: /etc/lockstep/hooks\nservices: [clusterpro, clusterpro_md]\nlog-level: warn\n');
    const config = await resolveAgentConfig(path, { ...tls, 'log-level': 'debug', 'package-dir': ['/srv/a', '/srv/b'] });
    expect(config).toMatchObject({
      listen: '10.0.0.5:7451',
      hooksDir: '/etc/lockstep/hooks',
      services: ['clusterpro', 'clusterpro_md'],
      logLevel: 'debug',
      packageDirs: ['/srv/a', '/srv/b'],
      stateDir: '/var/lib/lockstep-agent',
      serviceManager: 'auto',
      tls: { ca: tls['tls-ca'], cert: tls['tls-cert'], key: tls['tls-key'] },
    });
  });

  it.each([
    ['listen: 7451\n', ':1: listen: expected HOST:PORT, e.g. 0.0.0.0:7451, got number 7451'],
    ['listen: 127.0.0.1:0\npackage-dir: /srv/updates\n', ':2: package-dir: expected a list, got "/srv/updates"'],
    ['services:\n  - clusterpro\n  - "bad name"\n', ':3: services[1]: expected a service name, got "bad name"'],
    ['insecure: "yes"\n', ':1: insecure: expected true or false, got "yes"'],
    ['service-manager: upstart\n', ':1: service-manager: expected one of auto, sysv, systemd, got "upstart"'],
    ['listen: 127.0.0.1:0\nlisten-port: 7451\n', ':2: listen-port: is not a setting of the agent'],
    ['- listen\n', ':1: (document): expected a mapping of settings, got a list'],
  ])('refuses %j, naming the line and the setting', async (text, message) => {
    const path = file(text);
    await expect(resolveAgentConfig(path, tls)).rejects.toThrow(`${path}${message}`);
  });

  it('takes --tls-crl (from the file or the flag) with the TLS files, and refuses it with --insecure', async () => {
    expect((await resolveAgentConfig(file('tls-crl: /etc/lockstep/crl.pem\n'), tls)).tls).toEqual({ ca: tls['tls-ca'], cert: tls['tls-cert'], key: tls['tls-key'], crl: '/etc/lockstep/crl.pem' });
    expect((parseAgentCommandLine(['--tls-crl', '/etc/lockstep/crl.pem'], '0') as { flags: object }).flags).toMatchObject({ 'tls-crl': '/etc/lockstep/crl.pem' });
    await expect(resolveAgentConfig(undefined, { insecure: true, 'tls-crl': '/etc/lockstep/crl.pem' })).rejects.toThrow(/--tls-crl: revokes certificates, and --insecure checks none/);
  });

  it('refuses a bad flag by its name, as it would the same value in the file', async () => {
    await expect(resolveAgentConfig(undefined, { ...tls, listen: 'nowhere' })).rejects.toThrow('--listen: expected HOST:PORT, e.g. 0.0.0.0:7451, got "nowhere"');
    await expect(resolveAgentConfig(undefined, { ...tls, 'hooks-dir': '' })).rejects.toThrow('--hooks-dir: expected a non-empty string, got ""');
  });
});

describe('agent command line', () => {
  it('gives each setting its flag, repeated flags making the lists', () => {
    const parsed = parseAgentCommandLine(
      ['--config', '/etc/lockstep/agent.yaml', '--listen', '127.0.0.1:7451', '--package-dir', '/srv/a', '--package-dir', '/srv/b', '--service', 'clusterpro', '--insecure'],
      '1.2.3',
    );
    expect(parsed).toEqual({
      run: true,
      config: '/etc/lockstep/agent.yaml',
      flags: expect.objectContaining({ listen: '127.0.0.1:7451', 'package-dir': ['/srv/a', '/srv/b'], services: ['clusterpro'], insecure: true, 'hooks-dir': undefined }),
    });
  });

  it('prints help and the version, and runs nothing', () => {
    expect(parseAgentCommandLine(['--version'], '1.2.3')).toEqual({ run: false, text: '1.2.3\n' });
    const help = parseAgentCommandLine(['-h'], '1.2.3');
    expect(help.run).toBe(false);
    expect(!help.run && help.text).toMatch(/^ {2}--service <name> +a service ControlService may touch; repeat for more/m);
  });

  it.each([[['--bogus']], [['--listen']], [['extra']], [['--insecure=yes']]])('refuses %j as a configuration error (exit 2)', (argv) => {
    let caught: unknown;
    try {
      parseAgentCommandLine(argv, '1.2.3');
    } catch (error) {
      caught = error;
    }
    expect(isLockstepError(caught, 'LOCKSTEP_E_CONFIG')).toBe(true);
    expect((caught as Error).message).toMatch(/see lockstep-agent --help/);
  });
});
