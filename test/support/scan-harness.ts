import { AwsClients } from '../../src/aws/clients.js';
import { type Config, loadConfig } from '../../src/config.js';
import { scanTargetsOf } from '../../src/db/scans.js';
import { findings, type ScanTarget } from '../../src/db/schema.js';
import { createLogger } from '../../src/log.js';
import type { Scenario } from '../../src/sim/scenario.js';
import { type Simulator, startSimulator } from '../../src/sim/server.js';
import { runScan, type ScanRequest } from '../../src/workflow/scan.js';
import { openTestDatabase, type TestDatabase } from './database.js';

export interface ScanHarness {
  sim: Simulator;
  db: TestDatabase;
  config: Config;
  scan(request?: Partial<ScanRequest>): ReturnType<typeof runScan>;
  /** Every stored finding row. */
  rows(): Promise<(typeof findings.$inferSelect)[]>;
  /** What each target of a scan did, as the scan recorded it. */
  targets(scan: { scanId: number }): Promise<ScanTarget[]>;
  close(): Promise<void>;
}

/**
 * A simulated organization, a fresh database and Warden's real scan, wired together the way
 * production wires them: the SDK clients find the simulator through AWS_ENDPOINT_URL.
 */
export async function scanHarness(
  scenario: Scenario,
  env: Record<string, string> = {},
  options: { simNow?: () => number } = {},
): Promise<ScanHarness> {
  const sim = await startSimulator(scenario, options.simNow ? { now: options.simNow } : {});
  Object.assign(process.env, sim.env, { AWS_EC2_METADATA_DISABLED: 'true' });
  const db = await openTestDatabase();
  const config = loadConfig({ WARDEN_REGIONS: scenario.regions.join(','), LOG_LEVEL: 'silent', ...env });
  const clients = new AwsClients({ maxAttempts: config.aws.scan.maxAttempts, maxSockets: 64 });
  const log = createLogger('silent');
  return {
    sim,
    db,
    config,
    scan: (request = {}) =>
      runScan({ db: db.db, config, log, clients, reportPollBaseMs: 5 }, { trigger: 'cli', ...request }),
    rows: () => db.db.select().from(findings).orderBy(findings.id),
    targets: (scan) => scanTargetsOf(db.db, scan.scanId),
    async close() {
      clients.destroy();
      await sim.close();
      await db.close();
    },
  };
}
