// A line chart as a self-contained SVG (no dependency, no outside resource), for
// `npm run bench -- --plot FILE`: CPU per restart against the number of workers, log-log.

export interface Series {
  name: string;
  /** [x, y] pairs, x ascending. */
  points: ReadonlyArray<readonly [number, number]>;
}

const colors = ['#d62728', '#1f77b4', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];
const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const label = (value: number) => (value >= 1000 ? `${value / 1000}k` : String(value));

/** The 1-2-5 ticks of a log axis covering [min, max]. */
function ticks(min: number, max: number): number[] {
  const out: number[] = [];
  for (let decade = 10 ** Math.floor(Math.log10(min)); decade <= max; decade *= 10) {
    for (const step of [1, 2, 5]) {
      const tick = decade * step;
      if (tick >= min && tick <= max) out.push(tick);
    }
  }
  return out;
}

export function plotSvg(series: readonly Series[], options: { title: string; x: string; y: string; note?: string }): string {
  const width = 820;
  const height = 440;
  const margin = { left: 70, right: 300, top: 40, bottom: 60 };
  const all = series.flatMap((line) => line.points);
  if (all.length === 0) throw new RangeError('plotSvg: no points');
  const xs = all.map(([x]) => x);
  const ys = all.map(([, y]) => y).filter((y) => y > 0);
  const [xMin, xMax] = [Math.min(...xs), Math.max(...xs)];
  const [yMin, yMax] = [10 ** Math.floor(Math.log10(Math.min(...ys))), 10 ** Math.ceil(Math.log10(Math.max(...ys)))];
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const px = (x: number) => margin.left + (xMax === xMin ? plotW / 2 : ((Math.log(x) - Math.log(xMin)) / (Math.log(xMax) - Math.log(xMin))) * plotW);
  const py = (y: number) => margin.top + plotH - ((Math.log(y) - Math.log(yMin)) / (Math.log(yMax) - Math.log(yMin))) * plotH;
  const f = (value: number) => value.toFixed(1);

  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${margin.left}" y="22" font-size="15" font-weight="bold">${escape(options.title)}</text>`,
  ];
  for (const tick of ticks(yMin, yMax)) {
    parts.push(
      `<line x1="${margin.left}" x2="${margin.left + plotW}" y1="${f(py(tick))}" y2="${f(py(tick))}" stroke="#e5e5e5"/>`,
      `<text x="${margin.left - 6}" y="${f(py(tick) + 4)}" text-anchor="end">${label(tick)}</text>`,
    );
  }
  for (const tick of [...new Set(xs)].sort((a, b) => a - b)) {
    parts.push(
      `<line x1="${f(px(tick))}" x2="${f(px(tick))}" y1="${margin.top}" y2="${margin.top + plotH}" stroke="#e5e5e5"/>`,
      `<text x="${f(px(tick))}" y="${margin.top + plotH + 18}" text-anchor="middle">${label(tick)}</text>`,
    );
  }
  parts.push(
    `<rect x="${margin.left}" y="${margin.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`,
    `<text x="${margin.left + plotW / 2}" y="${height - 22}" text-anchor="middle">${escape(options.x)}</text>`,
    `<text transform="translate(18 ${margin.top + plotH / 2}) rotate(-90)" text-anchor="middle">${escape(options.y)}</text>`,
  );
  if (options.note !== undefined) {
    parts.push(`<text x="${margin.left}" y="${height - 6}" font-size="10" fill="#666">${escape(options.note)}</text>`);
  }
  series.forEach((line, index) => {
    const color = colors[index % colors.length] ?? '#000';
    const points = line.points.filter(([, y]) => y > 0);
    parts.push(
      `<polyline fill="none" stroke="${color}" stroke-width="2" points="${points.map(([x, y]) => `${f(px(x))},${f(py(y))}`).join(' ')}"/>`,
      ...points.map(([x, y]) => `<circle cx="${f(px(x))}" cy="${f(py(y))}" r="3.5" fill="${color}"><title>${escape(line.name)}: ${label(x)} workers, ${y.toFixed(1)} µs</title></circle>`),
      `<line x1="${margin.left + plotW + 16}" x2="${margin.left + plotW + 40}" y1="${margin.top + 12 + index * 22}" y2="${margin.top + 12 + index * 22}" stroke="${color}" stroke-width="2"/>`,
      `<text x="${margin.left + plotW + 46}" y="${margin.top + 16 + index * 22}">${escape(line.name)}</text>`,
    );
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
