// A node name is what the coordinator expects in an agent's certificate. A name that is an
// address or a loopback alias does not say which machine it is: "localhost" in a runbook
// once matched every agent, whose certificates all carried localhost (issue 21 §4).
import { isIP } from 'node:net';

// What /etc/hosts on RHEL, SUSE and Debian calls loopback; RFC 6761 reserves *.localhost.
const LOOPBACK_ALIASES = new Set(['localhost', 'localhost.localdomain', 'localhost4', 'localhost4.localdomain4', 'localhost6', 'localhost6.localdomain6', 'ip6-localhost', 'ip6-loopback']);

/** Why `name` cannot name a node, or undefined when it can. */
export function reservedNodeNameReason(name: string): string | undefined {
  const lower = name.toLowerCase();
  if (LOOPBACK_ALIASES.has(lower) || lower.endsWith('.localhost')) {
    return `"${name}" names the loopback interface of whichever machine reads it, not one node: use the node's own host name`;
  }
  // Digits and dots alone read as an address (inet_aton takes 127.1 and 2130706433 too).
  if (isIP(name) !== 0 || /^[0-9.]+$/.test(name)) {
    return `"${name}" is an address, not a node name: put it in "address" and name the node by its host name (the name in its certificate)`;
  }
  return undefined;
}
