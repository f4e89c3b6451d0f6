/**
 * Select options of the customer pages: level and industry from `/dictionaries/{kind}` (the
 * seeded lists until it answers), labelled in the UI's language (an entry's `label_en` in English,
 * its `label` when it has none, and in Chinese); owners from `/users/owners` (if that fails, owner
 * pickers fall back to typing the user id).
 * Loaded once per page load and shared by the list, the form and the detail page.
 */
import { computed, ref, type Ref } from 'vue';
import { listDictionary, type DictionaryEntryPublic, type DictionaryKind } from '@/api/customers';
import { listOwnerOptions } from '@/api/users';
import { currentLocale, type LocaleCode } from '@/locale';
import type { Option } from '@/types/option';

/** What an option needs of a dictionary entry: its code and its label in both languages. */
export type DictionaryLabels = Pick<DictionaryEntryPublic, 'code' | 'label' | 'label_en'>;

/** The seeded dictionaries (backend migrations 0003 and 0014), used until `/dictionaries/{kind}` answers. */
export const DEFAULT_LEVEL_ENTRIES: readonly DictionaryLabels[] = [
  { code: 'S', label: 'S级', label_en: 'Level S' },
  { code: 'A', label: 'A级', label_en: 'Level A' },
  { code: 'B', label: 'B级', label_en: 'Level B' },
  { code: 'C', label: 'C级', label_en: 'Level C' },
];

export const DEFAULT_INDUSTRY_ENTRIES: readonly DictionaryLabels[] = [
  { code: 'internet', label: '互联网', label_en: 'Internet' },
  { code: 'finance', label: '金融', label_en: 'Finance' },
  { code: 'education', label: '教育', label_en: 'Education' },
  { code: 'healthcare', label: '医疗', label_en: 'Healthcare' },
  { code: 'retail', label: '零售', label_en: 'Retail' },
  { code: 'manufacturing', label: '制造', label_en: 'Manufacturing' },
  { code: 'logistics', label: '物流', label_en: 'Logistics' },
  { code: 'government', label: '政府', label_en: 'Government' },
  { code: 'other', label: '其他', label_en: 'Other' },
];

/** An entry's label in `locale`: the English one in English when it has one, else the Chinese one. */
export function dictionaryLabel(entry: DictionaryLabels, locale: LocaleCode = currentLocale.value): string {
  return locale === 'en-US' && entry.label_en?.trim() ? entry.label_en : entry.label;
}

/** Entries as select options (value = code) labelled in `locale`. */
export function labelledOptions(
  entries: readonly DictionaryLabels[],
  locale: LocaleCode = currentLocale.value,
): Option[] {
  return entries.map((e) => ({ value: e.code, label: dictionaryLabel(e, locale) }));
}

/** The seeded lists as options in the UI's language. */
export function defaultLevels(): Option[] {
  return labelledOptions(DEFAULT_LEVEL_ENTRIES);
}

export function defaultIndustries(): Option[] {
  return labelledOptions(DEFAULT_INDUSTRY_ENTRIES);
}

/** Active entries in the backend's order. */
export function activeEntries(entries: readonly DictionaryEntryPublic[]): DictionaryEntryPublic[] {
  return [...entries].filter((e) => e.is_active).sort((a, b) => a.sort_order - b.sort_order || a.id - b.id);
}

/** Active entries in the backend's order, as select options (value = code) in `locale`. */
export function dictionaryOptions(
  entries: readonly DictionaryEntryPublic[],
  locale: LocaleCode = currentLocale.value,
): Option[] {
  return labelledOptions(activeEntries(entries), locale);
}

const levelEntries = ref<readonly DictionaryLabels[]>(DEFAULT_LEVEL_ENTRIES);
const industryEntries = ref<readonly DictionaryLabels[]>(DEFAULT_INDUSTRY_ENTRIES);
const levels = computed(() => labelledOptions(levelEntries.value, currentLocale.value));
const industries = computed(() => labelledOptions(industryEntries.value, currentLocale.value));
const owners = ref<Option<number>[]>([]);
/** false once `/users/owners` failed: owner pickers then take a user id */
const ownersAvailable = ref(true);
let dictionaryLoad: Promise<void> | null = null;
let ownerLoad: Promise<void> | null = null;

async function loadKind(kind: DictionaryKind, target: Ref<readonly DictionaryLabels[]>): Promise<void> {
  const { items } = await listDictionary(kind);
  const entries = activeEntries(items);
  if (entries.length > 0) target.value = entries;
}

function loadDictionaries(): Promise<void> {
  dictionaryLoad ??= Promise.all([loadKind('level', levelEntries), loadKind('industry', industryEntries)])
    .then(() => undefined)
    .catch(() => {
      dictionaryLoad = null; // keep the defaults, try again next time
    });
  return dictionaryLoad;
}

function loadOwners(): Promise<void> {
  ownerLoad ??= listOwnerOptions()
    .then(({ items }) => {
      owners.value = items.map((u) => ({
        value: u.id,
        label: u.display_name ? `${u.display_name} (${u.username})` : u.username,
      }));
      ownersAvailable.value = true;
    })
    .catch(() => {
      ownersAvailable.value = false;
      ownerLoad = null;
    });
  return ownerLoad;
}

/** A dictionary code's label in the UI's language, from what was loaded (the seeded lists until then). */
export function dictionaryValueLabel(kind: DictionaryKind, code: string): string | null {
  const entries = kind === 'level' ? levelEntries.value : industryEntries.value;
  const entry = entries.find((e) => e.code === code);
  return entry ? dictionaryLabel(entry) : null;
}

/** For tests: forget what was loaded. */
export function resetCustomerOptions(): void {
  levelEntries.value = DEFAULT_LEVEL_ENTRIES;
  industryEntries.value = DEFAULT_INDUSTRY_ENTRIES;
  owners.value = [];
  ownersAvailable.value = true;
  dictionaryLoad = null;
  ownerLoad = null;
}

export function useCustomerOptions() {
  void loadDictionaries();
  void loadOwners();
  const ownerNames = computed(() => new Map(owners.value.map((o) => [o.value, o.label])));
  return { levels, industries, owners, ownerNames, ownersAvailable };
}
