// Charts drawn with uPlot (vendored, see scripts/toolchain.sh): per-minute series for the
// Dashboard and the lanes of a call's timeline. Each chart fills its container's width,
// follows the light or dark palette of style.css, and is hidden from assistive technology:
// its figure carries a text alternative instead.

import uPlot from './vendor/uplot.esm.js';

const dark = window.matchMedia('(prefers-color-scheme: dark)');
const mounted = new Set();
// Canvas colours are read from the stylesheet when a chart is built, so a change of
// scheme rebuilds every chart.
dark.addEventListener('change', () => mounted.forEach((chart) => chart.rebuild()));

const hourMinute = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const withSeconds = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const day = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });
const month = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short' });

function palette() {
  const style = getComputedStyle(document.documentElement);
  const read = (name) => style.getPropertyValue(`--${name}`).trim();
  return {
    text: read('muted'), grid: read('chart-grid'), surface: read('surface'),
    1: read('chart-1'), 2: read('chart-2'), ok: read('chart-ok'), failed: read('chart-failed'),
    pending: read('chart-pending'), lane: read('chart-lane'),
  };
}

// Time ticks in the page's locale, as fine as the ticks are apart (`incr`, in seconds).
function timeValues(u, splits, axisIdx, space, incr) {
  let format = hourMinute;
  if (incr < 60) format = withSeconds;
  else if (incr >= 28 * 86400) format = month;
  else if (incr >= 86400) format = day;
  return splits.map((s) => format.format(s * 1000));
}

// `space`: the least room between ticks, in CSS pixels, for labels like "01:45:00 PM".
function timeAxis(colors, space) {
  return { stroke: colors.text, space, grid: { stroke: colors.grid }, ticks: { stroke: colors.grid }, values: timeValues };
}

// A y axis as wide as its longest label (uPlot sizes axes before it knows the labels).
function fitLabels(u, values, axisIdx, cycleNum) {
  const axis = u.axes[axisIdx];
  if (cycleNum > 1) return axis._size;
  const longest = (values ?? []).reduce((a, b) => (String(b).length > String(a).length ? String(b) : a), '');
  u.ctx.font = axis.font[0];
  return Math.ceil(axis.ticks.size + axis.gap + 4 + u.ctx.measureText(longest).width / devicePixelRatio);
}

// A uPlot chart in `container`: `build(colors)` gives its options less width and data.
// `draw` keeps the data so that a resize or a change of scheme draws the same again.
class Chart {
  constructor(container, build) {
    this.container = container;
    this.build = build;
    this.plot = null;
    this.data = null;
    this.layout = null;
    this.resizer = new ResizeObserver(() => this.fit());
    this.resizer.observe(container);
    mounted.add(this);
  }

  width() {
    return Math.max(200, Math.floor(this.container.clientWidth));
  }

  // `layout` names what the options depend on besides colours (a timeline's lanes): when
  // it changes the chart is built anew, otherwise only its data is replaced.
  draw(data, layout = '') {
    this.data = data;
    if (!this.plot || layout !== this.layout) {
      this.layout = layout;
      this.rebuild();
    } else {
      this.plot.setData(data);
    }
  }

  rebuild() {
    if (!this.data) return;
    this.plot?.destroy();
    const options = this.build(palette());
    this.plot = new uPlot({ ...options, width: this.width() }, this.data, this.container);
  }

  fit() {
    if (this.plot && this.container.clientWidth > 0 && this.plot.width !== this.width()) {
      this.plot.setSize({ width: this.width(), height: this.plot.height });
    }
  }

  destroy() {
    this.resizer.disconnect();
    this.plot?.destroy();
    this.plot = null;
    mounted.delete(this);
  }
}

const noDrag = { drag: { x: false, y: false } };

// Per-minute series over one time axis. `series`: [{ label, color (a palette key), bars }];
// bars of two series stand side by side. Counts get whole-number ticks from 0.
export function minuteChart(container, { series, unit = '', counts = true }) {
  return new Chart(container, (colors) => ({
    height: 190,
    cursor: noDrag,
    legend: { live: true },
    scales: {
      x: { time: true, range: (u, min, max) => [min - 40, max + 40] },
      y: { range: (u, min, max) => [0, Math.max(counts ? 4 : 10, max * 1.1)] },
    },
    axes: [
      timeAxis(colors, 70),
      {
        stroke: colors.text, size: fitLabels, grid: { stroke: colors.grid }, ticks: { stroke: colors.grid },
        incrs: counts ? [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000] : undefined,
        values: (u, splits) => splits.map((v) => `${v}${unit}`),
      },
    ],
    series: [
      { label: 'Minute', value: (u, v) => (v == null ? '—' : hourMinute.format(v * 1000)) },
      ...series.map((s, i) => ({
        label: s.label,
        stroke: colors[s.color],
        fill: s.bars ? colors[s.color] : undefined,
        width: s.bars ? 0 : 2,
        value: (u, v) => (v == null ? '—' : `${v}${unit}`),
        paths: s.bars ? uPlot.paths.bars({ size: [0.4, 14], align: i === 0 ? -1 : 1 }) : undefined,
        points: { show: !s.bars, size: 5 },
      })),
    ],
  }));
}

// Lanes on one time axis. `lanes`: [{ label }], top first; `marks`: [{ lane, at (seconds),
// kind: 'event' | 'ok' | 'failed' | 'pending' }]. Each lane is a line from its first mark to
// its last, with a hollow dot for each event and a filled one for each action by outcome.
export function laneChart(container) {
  const chart = new Chart(container, () => null);
  const kinds = ['event', 'ok', 'failed', 'pending'];
  chart.drawLanes = (lanes, marks) => {
    const xs = [...new Set(marks.map((m) => m.at))].sort((a, b) => a - b);
    const index = new Map(xs.map((x, i) => [x, i]));
    const row = (lane) => lanes.length - 1 - lane; // the first lane on top
    const data = [xs];
    lanes.forEach((lane, l) => {
      const own = marks.filter((m) => m.lane === l);
      const line = xs.map(() => null);
      if (own.length) {
        const times = own.map((m) => m.at);
        line[index.get(Math.min(...times))] = row(l);
        line[index.get(Math.max(...times))] = row(l);
      }
      data.push(line);
      for (const kind of kinds) {
        const ys = xs.map(() => null);
        for (const m of own) if (m.kind === kind) ys[index.get(m.at)] = row(l);
        data.push(ys);
      }
    });
    const labels = lanes.map((lane) => lane.label);
    chart.build = (colors) => ({
      height: 46 + 34 * lanes.length,
      cursor: { ...noDrag, y: false, points: { show: false } },
      legend: { show: false },
      scales: {
        x: { time: true, range: (u, min, max) => padded(min, max) },
        y: { range: [-0.6, lanes.length - 0.4] },
      },
      axes: [
        timeAxis(colors, 100),
        {
          stroke: colors.text, size: fitLabels, grid: { stroke: colors.grid }, ticks: { show: false },
          splits: () => labels.map((_, l) => row(l)),
          values: (u, splits) => splits.map((y) => labels[lanes.length - 1 - y] ?? ''),
        },
      ],
      series: [{}, ...lanes.flatMap(() => [
        { stroke: colors.lane, width: 3, spanGaps: true, points: { show: false } },
        ...kinds.map((kind) => ({
          paths: () => null,
          points: {
            show: true, size: 11, width: 2,
            stroke: kind === 'event' ? colors[1] : colors[kind],
            fill: kind === 'event' ? colors.surface : colors[kind],
          },
        })),
      ])],
    });
    chart.draw(data, labels.join('\n'));
  };
  return chart;
}

// The time axis around the marks: a little either side, and a minute around a single one.
function padded(min, max) {
  if (min == null || max == null) return [Date.now() / 1000 - 60, Date.now() / 1000];
  const pad = max > min ? (max - min) * 0.05 : 30;
  return [min - pad, max + pad];
}
