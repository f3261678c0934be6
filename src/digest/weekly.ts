import type { Config } from '../config.js';
import type { Database } from '../db/client.js';
import { type Window, weeklyFigures } from '../posture/digest-figures.js';
import { digestBlocks } from '../slack/blocks/digest.js';
import { scoreChart } from './chart.js';
import type { DigestMessage } from './deliver.js';
import { type Digest, weeklyDigest } from './sections.js';

/** The weekly compliance digest for a week: its sections, its Slack message and its chart. */
export async function weeklyDigestMessage(
  db: Database,
  config: Config,
  window: Window,
  period: string,
): Promise<{ digest: Digest; message: DigestMessage & { chart: NonNullable<DigestMessage['chart']> } }> {
  const figures = await weeklyFigures(db, window, config.policy);
  const digest = weeklyDigest(figures, period);
  return {
    digest,
    message: {
      text: digest.title,
      blocks: digestBlocks(digest),
      chart: {
        png: await scoreChart(figures),
        filename: `warden-weekly-${period}.png`,
        title: 'Posture score trend',
      },
    },
  };
}
