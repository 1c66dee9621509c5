/**
 * Who produced a report: the package name and version, read from package.json so SARIF's
 * tool.driver and OCSF's metadata.product never drift from the release that wrote them.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PRODUCT_NAME = 'nhi-reissue';

export interface ToolInfo {
  name: string;
  version: string;
}

let cached: ToolInfo | undefined;

/**
 * The nearest package.json named nhi-reissue above this module: src/scan/report/ when run
 * from source (tests), dist/src/scan/report/ when built, so the depth differs.
 */
export function toolInfo(): ToolInfo {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        name?: unknown;
        version?: unknown;
      };
      if (pkg.name === PRODUCT_NAME && typeof pkg.version === 'string') {
        cached = { name: PRODUCT_NAME, version: pkg.version };
        return cached;
      }
    } catch {
      // No package.json at this level: keep walking up.
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  // A bundled or relocated copy without its package.json still writes a valid report.
  cached = { name: PRODUCT_NAME, version: '0.0.0' };
  return cached;
}
