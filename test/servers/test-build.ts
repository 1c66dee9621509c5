/** The CLI entry of the build the vitest global setup made for this run (test/servers/global-setup.ts). */
import { join } from 'node:path';

export function testCliMain(): string {
  const build = process.env.NHI_TEST_BUILD;
  if (!build)
    throw new Error(
      'NHI_TEST_BUILD is not set: run the tests through vitest (its global setup builds the CLI)',
    );
  return join(build, 'src', 'cli', 'main.js');
}
