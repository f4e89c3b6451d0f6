/**
 * What the audit log and the deleted records show of a stored record, in the UI's language: the
 * name of a field (`paid_amount` → 已收金额 / Paid), and the fixed messages the system writes with a
 * change ("issued by an invoice run"); a user's own words (a reason) stay as written.
 */
import { dictionaryValueLabel } from '@/composables/useCustomerOptions';
import { t } from '@/locale';

function labelOr(key: string): string | null {
  const label = t(key);
  return label === key ? null : label;
}

/** A field of a stored record by its label (`field.<name>`, else a run counter's), else its name. */
export function recordFieldLabel(field: string): string {
  return labelOr(`field.${field}`) ?? labelOr(`usage.pull.counter.${field}`) ?? field;
}

/** The message key of a field's values, by the type of record (`*` any type), e.g. a payment's `method`. */
const VALUE_KEYS: Record<string, Record<string, string>> = {
  status: {
    customer: 'customer.status',
    invoice: 'invoice.status',
    payment: 'payment.status',
    usage_anomaly: 'usage.anomaly.status',
    task_execution: 'usage.pull.status',
    notification: 'notification.status',
  },
  method: { payment: 'payment.method' },
  mode: { '*': 'pricing.mode' },
  kind: { notification_channel: 'notification.kind', usage_anomaly: 'usage.anomaly.kind' },
  role: { '*': 'role' },
  trigger: { '*': 'usage.pull.triggerName' },
  priority: { '*': 'notification.priority' },
  task_name: { '*': 'job.name' },
};

/**
 * A stored value of a field in the UI's language when it is a code we name (a customer's status,
 * a payment's method, a level…); null otherwise (shown as stored).
 */
export function recordValueLabel(entityType: string, field: string, value: unknown): string | null {
  if (typeof value !== 'string' || !value) return null;
  if (field === 'level' || field === 'industry') return dictionaryValueLabel(field, value);
  const prefix = VALUE_KEYS[field]?.[entityType] ?? VALUE_KEYS[field]?.['*'];
  return prefix ? labelOr(`${prefix}.${value}`) : null;
}

/** The fixed messages of the system, and the ones it writes around a user's reason or a record's id. */
const PATTERNS: [RegExp, string][] = [
  [/^usage anomaly (accepted|corrected|rejected)$/, 'audit.message.anomaly'],
  [/^credit note: ([\s\S]*)$/, 'audit.message.creditNote'],
  [/^allocation (\d+) reversed: ([\s\S]*)$/, 'audit.message.allocationReversed'],
  [/^allocation (\d+) from payment (\d+)$/, 'audit.message.allocationFromPayment'],
  [/^allocation (\d+) from credit note (\S+)$/, 'audit.message.allocationFromCreditNote'],
  [/^from payment (\d+)$/, 'audit.message.fromPayment'],
  [/^from credit note (\S+)$/, 'audit.message.fromCreditNote'],
  [/^allocations ([\d, ]+)$/, 'audit.message.allocations'],
  [/^retried as execution (\d+)$/, 'audit.message.retried'],
  [/^family (\S+) revoked$/, 'audit.message.familyRevoked'],
  [/^(\d+) session\(s\) ended: ([\s\S]*)$/, 'audit.message.sessionsEnded'],
  [/^session (\S+) ended by its user$/, 'audit.message.sessionEnded'],
];

const FIXED: Record<string, string> = {
  'issued by an invoice run': 'audit.message.issuedByRun',
  issued: 'audit.message.issued',
  'used by an invoice: frozen': 'audit.message.versionFrozen',
  'terms edited before any invoice used them': 'audit.message.termsEdited',
  'usage file upload': 'audit.message.usageUpload',
  'usage pull': 'audit.message.usagePull',
  login: 'audit.message.login',
  logout: 'audit.message.logout',
  resend: 'audit.message.resend',
  'password changed': 'audit.message.passwordChanged',
  'one-time password set': 'audit.message.oneTimePassword',
};

/** An audit entry's message in the UI's language when the system wrote it; as written otherwise. */
export function auditMessageText(message: string | null | undefined): string {
  if (!message) return '';
  const fixed = FIXED[message];
  if (fixed) return t(fixed);
  for (const [pattern, key] of PATTERNS) {
    const found = pattern.exec(message);
    if (!found) continue;
    const params: Record<string, string> = {};
    found.slice(1).forEach((value, index) => {
      params[String(index + 1)] = value;
    });
    if (key === 'audit.message.anomaly') params[1] = t(`usage.anomaly.status.${found[1]}`);
    return t(key, params);
  }
  return message;
}
