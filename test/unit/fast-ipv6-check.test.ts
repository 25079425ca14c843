// shared/fast-ipv6-check.ts: node's net.isIPv6 replaced at start by one that skips the regular
// expression for strings without a colon. It must answer exactly as node's for every input.
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { installFastIsIPv6 } from '../../shared/fast-ipv6-check.js';

const INPUTS: unknown[] = [
  '127.0.0.1', '0.0.0.0', '255.255.255.255', '10.1.2.3:443', 'localhost', 'server1.example.com', '', ' ', 'unix:/run/lockstep/coordinator.sock',
  '::', '::1', ':', ':::', '1::', 'fe80::1%eth0', 'fe80::1%', '2001:db8::1', '2001:DB8:0:0:8:800:200C:417A', '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8:9',
  '::ffff:127.0.0.1', '::ffff:256.0.0.1', '[::1]', 'zz::', 'g::1', '12345::', ' ::1', '::1 ', 42, undefined, null, {}, ['::1'],
];

describe('installFastIsIPv6', () => {
  it('answers as node does for IPv4, IPv6, host names and inputs that are not strings', () => {
    const nodeIsIPv6 = net.isIPv6;
    const nodeAnswers = INPUTS.map((input) => nodeIsIPv6(input as string));
    installFastIsIPv6();
    const installed = net.isIPv6;
    installFastIsIPv6(); // twice: still one wrapper, not a wrapper of a wrapper
    expect(installed).not.toBe(nodeIsIPv6);
    expect(net.isIPv6).toBe(installed);
    expect(INPUTS.map((input) => net.isIPv6(input as string))).toEqual(nodeAnswers);
    // The inputs cover both answers.
    expect(nodeAnswers).toContain(true);
    expect(nodeAnswers).toContain(false);
  });
});
