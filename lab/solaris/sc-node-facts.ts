// What a SunOS node of the Solaris lab reports about itself (uname, /etc/cluster/release):
// shared by the lab creator (node.json) and the simulated node's commands.

/** `uname -r` */
export const SOLARIS_KERNEL = '5.10';
/** `uname -m` */
export const SOLARIS_MACHINE = 'sun4u';
/** What `/etc/cluster/release` holds on the lab's nodes (its first line names the release). */
export const SC_RELEASE_FILE = 'Sun Cluster 3.2u3 for Solaris 10 sparc\nCopyright 2009 Sun Microsystems, Inc. All Rights Reserved.\n';
