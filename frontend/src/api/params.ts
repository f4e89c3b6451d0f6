/**
 * Request parts every API module shares: the query parameters of a list (the backend refuses
 * unknown or malformed ones with a 422), the optional `reason` of a delete, and the progress of
 * an upload.
 */
import type { AxiosProgressEvent } from 'axios';

/** The paging and sorting parameters of the list endpoints. */
export interface PageParams {
  page?: number;
  /** ≤ 200 */
  page_size?: number;
  sort?: string | null;
}

/**
 * Query parameters for the backend, which refuses unknown parameters (422): `undefined`, `null`
 * and blank strings are left out, strings trimmed, booleans sent as "true"/"false".
 */
export function cleanParams(params: object): Record<string, string | number> {
  const query: Record<string, string | number> = {};
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null) continue;
    if (typeof value === 'string') {
      const trimmed = value.trim();
      if (trimmed) query[key] = trimmed;
    } else if (typeof value === 'number') {
      if (Number.isFinite(value)) query[key] = value;
    } else if (typeof value === 'boolean') {
      query[key] = value ? 'true' : 'false';
    }
  }
  return query;
}

/** The `?reason=` of a delete (audit log), left out when blank. */
export function reasonParams(reason?: string): { reason: string } | undefined {
  const trimmed = reason?.trim();
  return trimmed ? { reason: trimmed } : undefined;
}

/** Axios' `onUploadProgress` calling `report` with whole percents (when the size is known). */
export function uploadProgress(
  report: ((percent: number) => void) | undefined,
): (event: AxiosProgressEvent) => void {
  return (event) => {
    if (report && event.total) report(Math.round((event.loaded / event.total) * 100));
  };
}
