/** The package version, read from package.json (cli/ when run from source, dist/cli/ when built). */
import { readFileSync } from 'node:fs';

/** Returns the version field of swarmkit's package.json. */
export function packageVersion(): string {
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === 'swarmkit' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // try the next location
    }
  }
  return 'unknown';
}
