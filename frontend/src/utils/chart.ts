/**
 * What the charts share (the analytics charts and a customer's usage chart): a decimal string as
 * a y value (drawing only: every figure shown as text stays exact), a tooltip showing the exact
 * texts of each series, and a chart's table as CSV (opened by Excel as UTF-8, no cell read as a
 * formula).
 */
import type { DownloadedFile } from '@/api/download';
import type { ChartOption, ChartTable } from '@/types/chart';

/** The chart's y value of an exact decimal ("1234.50" → 1234.5; not a number → 0). */
export function chartValue(value: string | null | undefined): number {
  if (value === null || value === undefined || value === '') return 0;
  const number = Number(value);
  return Number.isFinite(number) ? number : 0;
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text made safe for a tooltip's HTML (names are typed by users). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}

export interface TooltipRow {
  /** ECharts' coloured dot (its own markup) */
  marker: string;
  name: string;
  /** the exact text of the value */
  value: string;
}

/** A tooltip: the category (a day, a month), then a line per series with its exact text. */
export function tooltipHtml(category: string, rows: readonly TooltipRow[]): string {
  const lines = rows.map(
    (row) =>
      `<div style="display:flex;gap:16px;justify-content:space-between"><span>${row.marker}${escapeHtml(row.name)}</span><b>${escapeHtml(row.value)}</b></div>`,
  );
  return `<div>${escapeHtml(category)}</div>${lines.join('')}`;
}

interface AxisParam {
  marker?: unknown;
  seriesName?: string;
  seriesIndex?: number;
  dataIndex?: number;
}

/**
 * An axis tooltip's formatter: the category, then a line per series with its exact text
 * (`texts[series][category]`, in the order of the option's series) instead of the float drawn.
 */
export function axisTooltip(categories: readonly string[], texts: readonly (readonly string[])[]) {
  return (params: unknown): string => {
    const list = (Array.isArray(params) ? params : [params]) as AxisParam[];
    const index = list[0]?.dataIndex ?? 0;
    return tooltipHtml(
      categories[index] ?? '',
      list.map((p) => ({
        marker: typeof p.marker === 'string' ? p.marker : '',
        name: p.seriesName ?? '',
        value: texts[p.seriesIndex ?? 0]?.[p.dataIndex ?? 0] ?? '-',
      })),
    );
  };
}

const GRID = { left: 8, right: 16, top: 40, bottom: 8, containLabel: true };
const Y_AXIS = { type: 'value' as const, axisLabel: { formatter: (v: number) => v.toLocaleString() } };

export interface AxisFrame {
  /** a legend above the chart, scrolling when the series may be many; none when not given */
  legend?: 'plain' | 'scroll';
  /** the grid's margins where they differ (room for a zoom slider, no legend above) */
  grid?: { top?: number; bottom?: number };
  /** the line starts on the first category instead of half a step in (days drawn as a line) */
  edgeToEdge?: boolean;
}

/**
 * What every analytics chart over categories (days, months, buckets) draws around its series:
 * the grid, the legend, the category and value axes, and the axis tooltip with the exact texts.
 */
export function axisFrame(
  categories: string[],
  texts: readonly (readonly string[])[],
  frame: AxisFrame = {},
): ChartOption {
  return {
    grid: { ...GRID, ...frame.grid },
    ...(frame.legend && { legend: frame.legend === 'scroll' ? { top: 0, type: 'scroll' } : { top: 0 } }),
    tooltip: { trigger: 'axis', confine: true, formatter: axisTooltip(categories, texts) },
    xAxis: { type: 'category', ...(frame.edgeToEdge && { boundaryGap: false }), data: categories },
    yAxis: Y_AXIS,
  };
}

// --- CSV ----------------------------------------------------------------------------------------------
const NUMBER = /^-?[\d,]+(\.\d+)?%?$/;

/**
 * A cell as CSV: quoted when it holds a comma, quote or line break; text starting with
 * `= + - @` (or a tab or carriage return) that is not a number gets a leading `'` so a
 * spreadsheet does not run it as a formula.
 */
export function csvCell(value: string | number | null | undefined): string {
  let text = value === null || value === undefined ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(text) && !NUMBER.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The table as CSV text: a header of the column titles, a line per row, CRLF line ends. */
export function toCsv(table: ChartTable): string {
  const lines = [
    table.columns.map((c) => csvCell(c.title)),
    ...table.rows.map((row) => table.columns.map((c) => csvCell(row[c.key]))),
  ];
  return lines.map((cells) => cells.join(',')).join('\r\n') + '\r\n';
}

/** The table as a .csv file (with a byte order mark, so Excel reads the Chinese text as UTF-8). */
export function csvFile(table: ChartTable, name: string): DownloadedFile {
  const blob = new Blob(['\uFEFF', toCsv(table)], { type: 'text/csv;charset=utf-8' });
  return { blob, filename: name.endsWith('.csv') ? name : `${name}.csv` };
}
