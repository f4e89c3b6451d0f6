/**
 * What a chart of the analytics pages draws (an ECharts option of the charts, components and
 * renderer `analytics-chart` registers) and the same figures as a table for its table view and
 * CSV export: exact values as text, columns titled in the chosen language.
 */
import type { ComposeOption } from 'echarts/core';
import type { BarSeriesOption, LineSeriesOption, PieSeriesOption } from 'echarts/charts';
import type {
  DataZoomComponentOption,
  GridComponentOption,
  LegendComponentOption,
  TooltipComponentOption,
} from 'echarts/components';

export type ChartOption = ComposeOption<
  | BarSeriesOption
  | LineSeriesOption
  | PieSeriesOption
  | GridComponentOption
  | TooltipComponentOption
  | LegendComponentOption
  | DataZoomComponentOption
>;

export interface ChartTableColumn {
  key: string;
  /** already translated */
  title: string;
  /** numbers on the right */
  numeric?: boolean;
}

export interface ChartTable {
  columns: ChartTableColumn[];
  /** the cells as shown (exact amounts, formatted), by column key */
  rows: Record<string, string | number>[];
}

/** A chart with its data as a table. */
export interface ChartData {
  option: ChartOption;
  table: ChartTable;
}
