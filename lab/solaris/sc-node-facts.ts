// What a SunOS node of the Solaris lab reports about itself (uname, /etc/cluster/release):
// shared by the lab creator (node.json) and the simulated node's commands.

/** `uname -r` */
export const SOLARIS_KERNEL = '5.10';
/** `uname -m` */
export const SOLARIS_MACHINE = 'sun4u';
/** The Sun Cluster releases a lab's nodes can run (`lab up --sc-version`): 3.1 has only scstat/scrgadm/scswitch, 3.2 adds the cl* commands. */
export const SC_RELEASES = ['3.1', '3.2'] as const;
export type ScRelease = (typeof SC_RELEASES)[number];

/** What `/etc/cluster/release` holds on the lab's nodes (its first line names the release). */
export function scReleaseFile(release: ScRelease): string {
  return release === '3.1'
    ? 'Sun Cluster 3.1u4 for Solaris 10 sparc\nCopyright 2005 Sun Microsystems, Inc. All Rights Reserved.\n'
    : 'Sun Cluster 3.2u3 for Solaris 10 sparc\nCopyright 2009 Sun Microsystems, Inc. All Rights Reserved.\n';
}
