// Where a native addon of native/ (built by `npm run build:native`) lies, seen from the module
// that loads it: that module runs as its .ts file (tests) or as dist/…/*.js, in a checkout or an
// installed package, so the root that holds native/ is two or three directories above it.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The addon's file (`native/NAME/build/Release/NAME.node`), or undefined when it is not built. */
export function findNativeAddon(name: string, moduleUrl: string): string | undefined {
  const addon = nativeAddonPath(name);
  for (let dir = dirname(fileURLToPath(moduleUrl)), depth = 0; depth < 4; dir = dirname(dir), depth++) {
    const candidate = join(dir, addon);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** The addon's path under the root, as messages name it. */
export function nativeAddonPath(name: string): string {
  return join('native', name, 'build', 'Release', `${name}.node`);
}
