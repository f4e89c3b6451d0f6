/** Imports: mode and status labels, report rows. */
import type { ImportMode, ImportStage, ImportStatus } from '@/api/imports';
import { IMPORT_MODES } from '@/api/imports';
import { t } from '@/locale';

export const IMPORT_STATUS_COLORS: Record<ImportStatus, string> = {
  pending: 'gray',
  running: 'arcoblue',
  succeeded: 'green',
  failed: 'red',
};

export function modeLabel(mode: ImportMode | string | null | undefined): string {
  return mode ? t(`import.mode.${mode}`) : '-';
}

export function importStatusLabel(status: ImportStatus | string | null | undefined): string {
  return status ? t(`import.status.${status}`) : '-';
}

export function modeOptions(): { value: ImportMode; label: string; hint: string }[] {
  return IMPORT_MODES.map((value) => ({
    value,
    label: modeLabel(value),
    hint: t(`import.mode.${value}.hint`),
  }));
}

/** The report's counters in display order. */
export const REPORT_COUNTERS = [
  'total',
  'created',
  'updated',
  'unchanged',
  'skipped_blank',
  'failed',
] as const;

export function stageLabel(stage: ImportStage | string | null | undefined): string {
  return stage ? t(`import.stage.${stage}`) : '-';
}

export function importStatusColor(status: string): string {
  return IMPORT_STATUS_COLORS[status as ImportStatus] ?? 'gray';
}

export function isXlsx(file: { name: string; type?: string }): boolean {
  return /\.xlsx$/i.test(file.name);
}
