/**
 * Select options of the customer pages: level and industry from `/dictionaries/{kind}` (the
 * seeded lists until it answers), owners from `/users/owners` (if that fails, owner pickers
 * fall back to typing the user id).
 * Loaded once per page load and shared by the list, the form and the detail page.
 */
import { computed, ref, type Ref } from 'vue';
import { listDictionary, type DictionaryEntryPublic, type DictionaryKind } from '@/api/customers';
import { listOwnerOptions } from '@/api/users';
import type { Option } from '@/types/option';

/** The seeded dictionaries (backend migration 0003), used until `/dictionaries/{kind}` answers. */
export const DEFAULT_LEVELS: Option[] = [
  { value: 'S', label: 'S级' },
  { value: 'A', label: 'A级' },
  { value: 'B', label: 'B级' },
  { value: 'C', label: 'C级' },
];

export const DEFAULT_INDUSTRIES: Option[] = [
  { value: 'internet', label: '互联网' },
  { value: 'finance', label: '金融' },
  { value: 'education', label: '教育' },
  { value: 'healthcare', label: '医疗' },
  { value: 'retail', label: '零售' },
  { value: 'manufacturing', label: '制造' },
  { value: 'logistics', label: '物流' },
  { value: 'government', label: '政府' },
  { value: 'other', label: '其他' },
];

/** Active entries in the backend's order, as select options (value = code). */
export function dictionaryOptions(entries: readonly DictionaryEntryPublic[]): Option[] {
  return [...entries]
    .filter((e) => e.is_active)
    .sort((a, b) => a.sort_order - b.sort_order || a.id - b.id)
    .map((e) => ({ value: e.code, label: e.label }));
}

const levels = ref<Option[]>(DEFAULT_LEVELS);
const industries = ref<Option[]>(DEFAULT_INDUSTRIES);
const owners = ref<Option<number>[]>([]);
/** false once `/users/owners` failed: owner pickers then take a user id */
const ownersAvailable = ref(true);
let dictionaryLoad: Promise<void> | null = null;
let ownerLoad: Promise<void> | null = null;

async function loadKind(kind: DictionaryKind, target: Ref<Option[]>): Promise<void> {
  const { items } = await listDictionary(kind);
  const options = dictionaryOptions(items);
  if (options.length > 0) target.value = options;
}

function loadDictionaries(): Promise<void> {
  dictionaryLoad ??= Promise.all([loadKind('level', levels), loadKind('industry', industries)])
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

/** For tests: forget what was loaded. */
export function resetCustomerOptions(): void {
  levels.value = DEFAULT_LEVELS;
  industries.value = DEFAULT_INDUSTRIES;
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
