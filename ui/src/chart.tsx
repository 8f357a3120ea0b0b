import { useEffect, useRef } from 'react';
import uPlot, { type AlignedData, type Options } from 'uplot';

export interface Series {
  label: string;
  /** A CSS class is not possible for canvas strokes; colours come from this fixed palette. */
  color?: string;
}

const PALETTE = ['#2f6fb0', '#c0504d', '#4f9a4f', '#8064a2', '#d08a1e', '#2aa198', '#7f7f7f', '#b5478b'];

/**
 * A uPlot time chart that follows its container's width. x values are epoch seconds. uPlot styles
 * its elements through the CSSOM, which the page's CSP allows (it forbids style attributes in markup).
 */
export function TimeChart({ data, series, height = 220, title, yLabel, bars = false, xLabel }: {
  data: AlignedData;
  series: Series[];
  height?: number;
  title: string;
  yLabel?: string;
  bars?: boolean;
  /** A plain numeric x axis with this label instead of time. */
  xLabel?: string;
}) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shape = `${series.map((s) => s.label).join('|')}|${bars}`;
  useEffect(() => {
    const el = box.current;
    if (el === null) return;
    const opts: Options = {
      width: Math.max(300, el.clientWidth),
      height,
      series: [{}, ...series.map((s, i) => ({
        label: s.label, stroke: s.color ?? PALETTE[i % PALETTE.length], width: 1.5,
        fill: bars ? `${s.color ?? PALETTE[i % PALETTE.length]}55` : undefined,
        paths: bars ? uPlot.paths.bars!({ size: [0.8, 40] }) : undefined,
        points: { show: false },
      }))],
      axes: [xLabel === undefined ? {} : { label: xLabel }, { label: yLabel, size: 60 }],
      scales: { x: { time: xLabel === undefined } },
      legend: { live: true },
      cursor: { drag: { x: false, y: false } },
    };
    plot.current = new uPlot(opts, data, el);
    const ro = new ResizeObserver(() => plot.current?.setSize({ width: Math.max(300, el.clientWidth), height }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
    // The chart is rebuilt only when its series change; new data goes through setData below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [shape, height, yLabel, xLabel]);
  useEffect(() => {
    plot.current?.setData(data);
  }, [data]);
  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <div ref={box} role="img" aria-label={title} />
    </figure>
  );
}
