import { expect, test } from 'vitest';
import { CHART_OUS, scoreChart, scoreChartConfig } from '../../src/digest/chart.js';

// The weekly chart is for a manager: the organization's line, and each of the worst OUs as a line of
// its own over the same weeks (not dots piled on the last date), told apart by colour, dash and legend.

const weeks = ['2026-10-26', '2026-11-02', '2026-11-09', '2026-11-16', '2026-11-23'].map((d) => new Date(d));
const figures = {
  trend: weeks.map((at, i) => ({ at, score: 6000 + i * 500 })),
  byOu: [
    { ouPath: 'Root/Prod', score: 5200, accounts: 4 },
    { ouPath: 'Root/Dev', score: 8000, accounts: 2 },
    ...Array.from({ length: 5 }, (_, i) => ({ ouPath: `Root/Team${i}`, score: 9000 + i, accounts: 1 })),
  ],
  ouTrend: [
    { ouPath: 'Root/Prod', scores: [4000, 4500, null, 5000, 5200] },
    { ouPath: 'Root/Dev', scores: [9000, 8800, 8600, 8200, 8000] },
    ...Array.from({ length: 5 }, (_, i) => ({
      ouPath: `Root/Team${i}`,
      scores: [9000, 9000, 9000, 9000, 9000 + i],
    })),
  ],
};

test('each of the worst OUs is a line over every week, told apart by colour and named with its score now', () => {
  const config = scoreChartConfig(figures);
  const [org, ...ous] = config.data.datasets;
  expect(org).toMatchObject({ label: 'Organization', data: [60, 65, 70, 75, 80] });
  expect(ous).toHaveLength(CHART_OUS);
  expect(ous[0]).toMatchObject({ label: 'Root/Prod (52.0)', data: [40, 45, null, 50, 52], spanGaps: true });
  expect(ous[1]).toMatchObject({ label: 'Root/Dev (80.0)', data: [90, 88, 86, 82, 80] });
  for (const ou of ous) expect((ou.data as unknown[]).filter((v) => v !== null).length).toBeGreaterThan(1);
  expect(new Set(ous.map((o) => o.borderColor)).size).toBe(CHART_OUS);
});

test('the chart is an 800×400 PNG', async () => {
  const png = await scoreChart(figures);
  expect(png.subarray(1, 4).toString()).toBe('PNG');
  expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([800, 400]);
});
