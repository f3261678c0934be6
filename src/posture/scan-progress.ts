/** How far a running scan has got: what the CLI's progress bar and the Slack scan message show. */
export interface ScanProgress {
  accountsDone: number;
  accountsTotal: number;
  findings: number;
  failures: number;
  throttles: number;
}
