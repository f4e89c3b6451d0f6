/**
 * Select options of the customer pages: level and industry from `/dictionaries/{kind}` (the
 * seeded lists until it answers), owners from `/users/owners` (if that fails, owner pickers
 * fall back to typing the user id).
 * Loaded once per page load and shared by the list, the form and the detail page.
 */
import { computed, ref, type Ref } from 'vue';
import { listDictionary, type DictionaryKind } from '@/api/customers';
import { listOwnerOptions } from '@/api/users';
import { DEFAULT_INDUSTRIES, DEFAULT_LEVELS, dictionaryOptions, type Option } from './data';

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
