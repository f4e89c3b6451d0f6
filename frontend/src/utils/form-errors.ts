/**
 * Puts a backend error on the form fields it names.
 *
 * 422 `validation_failed` and 409 `customer_duplicate` carry `details: [{field, message}]`;
 * a detail whose field is one of the form's fields goes under that field, the rest (and the
 * error message when there are no details) is shown above the form.
 */
import type { ApiError, ApiErrorDetail } from '@/api/errors';
import { t, type MessageKey } from '@/locale';

export interface FormErrors {
  /** field → message, first detail per field wins */
  fields: Record<string, string>;
  /** messages that belong to no field of the form */
  general: string[];
}

/** Backend names that are shown under another form field. */
const FIELD_ALIASES: Record<string, string> = { owner_name: 'owner_id', owner: 'owner_id' };

/** Pydantic prefixes its custom messages with "Value error, "; the rest of the text is the rule's own. */
export function cleanMessage(message: string): string {
  return message.replace(/^(Value error|Assertion failed),\s*/i, '').trim();
}

function fieldOf(detail: ApiErrorDetail, known: ReadonlySet<string>): string | null {
  if (detail.field) {
    // "credit_code", "body.credit_code" or "customer_ids.3": the first known segment wins
    for (const part of String(detail.field).split('.')) {
      const name = FIELD_ALIASES[part] ?? part;
      if (known.has(name)) return name;
    }
    return null;
  }
  // Model-level checks have no field ("contract_end_at must not be before signed_at"):
  // the first form field the message names.
  const words = detail.message.match(/[a-z_]+/g) ?? [];
  return words.find((word) => known.has(word)) ?? null;
}

function messageFor(error: ApiError, field: string | null, detail: ApiErrorDetail): string {
  if (error.code === 'customer_duplicate' && field) {
    return t('customer.error.taken', { field: t(`customer.field.${field}`) });
  }
  return cleanMessage(detail.message);
}

export function mapApiError(error: ApiError, knownFields: Iterable<string>): FormErrors {
  const known = new Set(knownFields);
  const result: FormErrors = { fields: {}, general: [] };
  for (const detail of error.details) {
    const field = fieldOf(detail, known);
    const message = messageFor(error, field, detail);
    if (field) {
      if (!(field in result.fields)) result.fields[field] = message;
    } else if (message && !result.general.includes(message)) {
      result.general.push(detail.field ? `${detail.field}: ${message}` : message);
    }
  }
  if (Object.keys(result.fields).length === 0 && result.general.length === 0) {
    result.general.push(cleanMessage(error.message));
  }
  return result;
}

/** A message to show under a field: a locale key and its parameters. */
export interface FieldMessage {
  key: MessageKey;
  params: Record<string, string | number>;
}

/**
 * A 422/409 on a form's fields: "cron" or "body.cron" goes under cron, "parameters.stages" under
 * the parameters as "stages: …", "settings.host" under the settings; the rest (or the message
 * alone) above the form.
 */
export function mapFieldErrors(
  error: Pick<ApiError, 'message' | 'details'>,
  formFields: readonly string[],
): FormErrors {
  const fields: Record<string, string> = {};
  const general: string[] = [];
  for (const detail of error.details) {
    const path = (detail.field ?? '').replace(/^body\./, '');
    const [head, ...rest] = path.split('.');
    const message = cleanMessage(detail.message);
    if (head && formFields.includes(head)) {
      const text = rest.length ? `${rest.join('.')}: ${message}` : message;
      fields[head] = fields[head] ? `${fields[head]}; ${text}` : text;
    } else {
      general.push(path ? `${path}: ${message}` : message);
    }
  }
  if (!Object.keys(fields).length && !general.length) general.push(cleanMessage(error.message));
  return { fields, general };
}

/** A required reason of at most 255 characters. */
export function reasonProblem(reason: string): FieldMessage | null {
  const text = reason.trim();
  if (!text) return { key: 'invoice.rule.reasonRequired', params: {} };
  if (text.length > 255) return { key: 'pricing.rule.maxLength', params: { max: 255 } };
  return null;
}
