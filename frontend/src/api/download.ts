/**
 * File downloads through the API client: the session's Authorization header must be sent, so a
 * plain `<a href>` cannot fetch them. Callers pass `blobRequest()` as the request config of a GET
 * and turn the response into a `DownloadedFile`; `saveFile` hands it to the browser.
 */
import type { AxiosRequestConfig, AxiosResponse } from 'axios';

export interface DownloadedFile {
  blob: Blob;
  filename: string;
}

/** Request options for a binary download (a fresh object each call). */
export function blobRequest(extra: AxiosRequestConfig = {}): AxiosRequestConfig {
  return {
    ...extra,
    responseType: 'blob',
    headers: { Accept: '*/*', ...(extra.headers as object | undefined) },
  };
}

/** RFC 6266 file name: `filename*=UTF-8''…` wins over `filename="…"`. */
export function filenameFromDisposition(header: unknown, fallback: string): string {
  if (typeof header !== 'string' || !header) return fallback;
  const extended = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(header);
  if (extended) {
    try {
      return decodeURIComponent(extended[1].trim().replace(/^"|"$/g, ''));
    } catch {
      // fall through to the plain form
    }
  }
  const plain = /filename\s*=\s*("([^"]*)"|[^;]+)/.exec(header);
  const name = plain ? (plain[2] ?? plain[1]).trim() : '';
  return name || fallback;
}

function headerOf(response: AxiosResponse, name: string): unknown {
  const headers = response.headers as { get?: (n: string) => unknown } & Record<string, unknown>;
  if (typeof headers?.get === 'function') return headers.get(name);
  return headers?.[name.toLowerCase()];
}

export function toDownloadedFile(response: AxiosResponse<Blob>, fallbackName: string): DownloadedFile {
  const data: unknown = response.data;
  const blob = data instanceof Blob ? data : new Blob([data as BlobPart]);
  return { blob, filename: filenameFromDisposition(headerOf(response, 'content-disposition'), fallbackName) };
}

/** Saves the file in the browser through a temporary blob URL. */
export function saveFile(file: DownloadedFile): void {
  const url = URL.createObjectURL(file.blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = file.filename;
  link.rel = 'noopener';
  link.style.display = 'none';
  document.body.appendChild(link);
  link.click();
  link.remove();
  // give the browser time to start the download before the URL goes away
  setTimeout(() => URL.revokeObjectURL(url), 30_000);
}
