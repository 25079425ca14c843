// grpc-js asks `net.isIPv6(host)` of every TCP address it dials. Node 20 answers with one large
// regular expression that V8 compiles at its first use: 15-18 ms on the 2-core machines here, 7 %
// of a `lockstep status` (docs/PERFORMANCE.md §4.7). Every IPv6 address in text holds a colon and
// no IPv4 address or host name does, so a string without one is answered at once and any other
// still goes to node's check: the same answer for every input, without the compile in the usual
// case. Installed by the CLI and the coordinator at start; grpc-js reads `net.isIPv6` at each call.
import net from 'node:net';

let installed = false;

export function installFastIsIPv6(): void {
  if (installed) return;
  installed = true;
  const nodeIsIPv6 = net.isIPv6;
  net.isIPv6 = (input: string): boolean => `${input}`.includes(':') && nodeIsIPv6(input);
}
