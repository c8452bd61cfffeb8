// .ts imports, not .js: Jest loads globalSetup without the preset's module mapper.
import { HostBed } from './host-bed.ts';

/**
 * Once per run: where namespaces cannot be made, says why in one line and tells the files to skip
 * (HOSTS_UNAVAILABLE); else removes what killed runs left behind (their owner pid is gone).
 */
export default function globalSetup(): void {
  const why = HostBed.unavailable();
  if (why) {
    process.env.HOSTS_UNAVAILABLE = why;
    process.stdout.write(`\nhosts suite skipped: ${why}\n`);
    return;
  }
  const stale = HostBed.removeStale();
  if (stale.length)
    process.stdout.write(
      `\nhosts: removed ${stale.length} namespaces and links of killed runs: ${stale.join(', ')}\n`,
    );
}
