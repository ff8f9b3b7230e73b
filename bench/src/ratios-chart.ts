/** One bar of the headline chart: a ratio of dynamodb-session against a peer. */
export interface RatioBar {
  label: string;
  value: number;
  /** The target ratio, drawn as a mark on the bar's track. */
  target?: number;
  /** Whether a larger ratio is better (throughput) or a smaller one (CPU, cost). */
  higherIsBetter: boolean;
}

const WIDTH = 1080;
const LABEL_WIDTH = 540;
const BAR_HEIGHT = 22;
const GAP = 12;
const TOP = 48;

/**
 * The headline ratios as a standalone SVG: one horizontal bar per ratio on a shared scale, a
 * line at 1× (parity), the target as a tick, the value as text; green when the target is met.
 */
export function ratiosSvg(title: string, bars: RatioBar[]): string {
  const maxValue = Math.max(2, ...bars.map((bar) => Math.max(bar.value, bar.target ?? 0))) * 1.1;
  const plotWidth = WIDTH - LABEL_WIDTH - 170;
  const x = (value: number) => LABEL_WIDTH + (value / maxValue) * plotWidth;
  const height = TOP + bars.length * (BAR_HEIGHT + GAP) + 40;
  const rows = bars.map((bar, index) => {
    const y = TOP + index * (BAR_HEIGHT + GAP);
    const met =
      bar.target === undefined
        ? undefined
        : bar.higherIsBetter
          ? bar.value >= bar.target
          : bar.value <= bar.target;
    const color = met === undefined ? '#6b7280' : met ? '#16a34a' : '#dc2626';
    const target =
      bar.target === undefined
        ? ''
        : `<line x1="${x(bar.target)}" y1="${y - 3}" x2="${x(bar.target)}" y2="${y + BAR_HEIGHT + 3}" stroke="#111827" stroke-width="2" stroke-dasharray="3 2"/>`;
    return [
      `<text x="${LABEL_WIDTH - 8}" y="${y + 15}" text-anchor="end">${bar.higherIsBetter ? '↑' : '↓'} ${escapeXml(bar.label)}</text>`,
      `<rect x="${LABEL_WIDTH}" y="${y}" width="${Math.max(1, x(bar.value) - LABEL_WIDTH).toFixed(1)}" height="${BAR_HEIGHT}" fill="${color}"/>`,
      target,
      `<text x="${(x(bar.value) + 6).toFixed(1)}" y="${y + 15}">${bar.value.toFixed(2)}×${bar.target === undefined ? '' : ` (target ${bar.higherIsBetter ? '≥' : '≤'} ${bar.target}×)`}</text>`,
    ].join('');
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="${WIDTH / 2}" y="24" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
    `<line x1="${x(1)}" y1="${TOP - 8}" x2="${x(1)}" y2="${height - 30}" stroke="#9ca3af"/>`,
    `<text x="${x(1)}" y="${height - 16}" text-anchor="middle" fill="#6b7280">1× (parity)</text>`,
    ...rows,
    `<text x="8" y="${height - 4}" fill="#6b7280" font-size="10">↑ higher is better, ↓ lower is better; green: target met, red: missed, grey: no target; dashed tick: the target</text>`,
    '</svg>',
    '',
  ].join('\n');
}

function escapeXml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}
