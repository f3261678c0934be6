import { createCanvas } from '@napi-rs/canvas';
import { Chart, type ChartConfiguration, registerables } from 'chart.js';
import type { WeeklyFigures } from '../posture/digest-figures.js';

Chart.register(...registerables);
// The image is drawn on the server: no animation, a font every Debian (and the image) has.
Chart.defaults.animation = false;
Chart.defaults.responsive = false;
Chart.defaults.font.family = 'DejaVu Sans, sans-serif';

export const CHART_SIZE = { width: 800, height: 400 } as const;

/**
 * The weekly digest's chart as a PNG: the organization's score over the last 4 weeks (a line, on
 * 0–100), and the worst OUs' scores now (bars), drawn with Chart.js on a Skia canvas.
 */
export async function scoreChart(
  f: Pick<WeeklyFigures, 'trend' | 'byOu'>,
  size = CHART_SIZE,
): Promise<Buffer> {
  const canvas = createCanvas(size.width, size.height);
  const context = canvas.getContext('2d');
  context.fillStyle = '#ffffff';
  context.fillRect(0, 0, size.width, size.height);
  const config: ChartConfiguration<'line'> = {
    type: 'line',
    data: {
      labels: f.trend.map((p) => p.at.toISOString().slice(0, 10)),
      datasets: [
        {
          label: 'Organization',
          data: f.trend.map((p) => (p.score === null ? null : p.score / 100)),
          borderColor: '#1d3b53',
          backgroundColor: '#1d3b53',
          borderWidth: 3,
          spanGaps: true,
        },
        ...f.byOu.slice(0, 4).map((ou, i) => ({
          label: `${ou.ouPath} (now)`,
          data: f.trend.map((_, j) => (j === f.trend.length - 1 ? ou.score / 100 : null)),
          borderColor: ['#c0392b', '#e67e22', '#f1c40f', '#7f8c8d'][i],
          backgroundColor: ['#c0392b', '#e67e22', '#f1c40f', '#7f8c8d'][i],
          pointRadius: 6,
          showLine: false,
        })),
      ],
    },
    options: {
      plugins: { title: { display: true, text: 'Compliance score, last 4 weeks (0–100)' } },
      scales: { y: { min: 0, max: 100 } },
    },
  };
  // Skia's context implements what Chart.js draws with; the DOM type is not in Node's lib.
  const chart = new Chart(context as never, config);
  try {
    return Buffer.from(await canvas.encode('png'));
  } finally {
    chart.destroy();
  }
}
