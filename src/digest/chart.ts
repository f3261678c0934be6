import { createCanvas } from '@napi-rs/canvas';
import { Chart, type ChartConfiguration, registerables } from 'chart.js';
import type { WeeklyFigures } from '../posture/digest-figures.js';
import { scoreText } from '../posture/score.js';

Chart.register(...registerables);
// The image is drawn on the server: no animation, a font every Debian (and the image) has.
Chart.defaults.animation = false;
Chart.defaults.responsive = false;
Chart.defaults.font.family = 'DejaVu Sans, sans-serif';

export const CHART_SIZE = { width: 800, height: 400 } as const;

/** The OUs drawn besides the organization (the worst first): more lines than this cannot be told apart. */
export const CHART_OUS = 5;
const OU_COLOURS = ['#c0392b', '#e67e22', '#8e44ad', '#16a085', '#7f8c8d'];

/**
 * What the weekly chart shows: the organization's score over the last 4 weeks (a thick line, on
 * 0–100) and the worst OUs' scores over the same weeks, a thinner line each in its own colour and
 * dash, named in the legend with the score now.
 */
export function scoreChartConfig(
  f: Pick<WeeklyFigures, 'trend' | 'ouTrend' | 'byOu'>,
): ChartConfiguration<'line'> {
  const now = new Map(f.byOu.map((o) => [o.ouPath, o.score]));
  const points = (scores: Array<number | null>) => scores.map((s) => (s === null ? null : s / 100));
  return {
    type: 'line',
    data: {
      labels: f.trend.map((p) => p.at.toISOString().slice(0, 10)),
      datasets: [
        {
          label: 'Organization',
          data: points(f.trend.map((p) => p.score)),
          borderColor: '#1d3b53',
          backgroundColor: '#1d3b53',
          borderWidth: 4,
          pointRadius: 4,
          spanGaps: true,
        },
        ...f.ouTrend.slice(0, CHART_OUS).map((ou, i) => ({
          label: `${ou.ouPath} (${scoreText(now.get(ou.ouPath) ?? null)})`,
          data: points(ou.scores),
          borderColor: OU_COLOURS[i]!,
          backgroundColor: OU_COLOURS[i]!,
          borderWidth: 2,
          borderDash: i % 2 ? [6, 4] : [],
          pointRadius: 3,
          pointStyle: (['circle', 'rect', 'triangle', 'rectRot', 'crossRot'] as const)[i]!,
          spanGaps: true,
        })),
      ],
    },
    options: {
      plugins: {
        title: {
          display: true,
          text: 'Posture score by week: the organization and its worst OUs (0–100)',
        },
        legend: { position: 'bottom', labels: { usePointStyle: true } },
      },
      scales: { y: { min: 0, max: 100 } },
    },
  };
}

/** The weekly digest's chart as a PNG, drawn with Chart.js on a Skia canvas. */
export async function scoreChart(
  f: Pick<WeeklyFigures, 'trend' | 'ouTrend' | 'byOu'>,
  size = CHART_SIZE,
): Promise<Buffer> {
  const canvas = createCanvas(size.width, size.height);
  const context = canvas.getContext('2d');
  context.fillStyle = '#ffffff';
  context.fillRect(0, 0, size.width, size.height);
  // Skia's context implements what Chart.js draws with.
  const chart = new Chart(context, scoreChartConfig(f));
  try {
    return Buffer.from(await canvas.encode('png'));
  } finally {
    chart.destroy();
  }
}
