/**
 * A deliberately tiny i18n layer: a reactive locale plus flat message tables.
 * Chinese is the default; English can be toggled from the header / login page.
 */
import { ref } from 'vue';
import zhCN from './zh-CN';
import enUS from './en-US';

export type LocaleCode = 'zh-CN' | 'en-US';
export type MessageKey = keyof typeof zhCN;

export const DEFAULT_LOCALE: LocaleCode = 'zh-CN';
export const LOCALES: readonly LocaleCode[] = ['zh-CN', 'en-US'];
const STORAGE_KEY = 'opcms.locale';

const messages: Record<LocaleCode, Record<string, string>> = {
  'zh-CN': zhCN,
  'en-US': enUS,
};

function isLocale(value: unknown): value is LocaleCode {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}

function initialLocale(): LocaleCode {
  try {
    const stored = globalThis.localStorage?.getItem(STORAGE_KEY);
    if (isLocale(stored)) return stored;
  } catch {
    // storage unavailable (privacy mode): fall through to the default
  }
  return DEFAULT_LOCALE;
}

export const currentLocale = ref<LocaleCode>(initialLocale());

export function setLocale(locale: LocaleCode): void {
  if (!isLocale(locale)) return;
  currentLocale.value = locale;
  try {
    globalThis.localStorage?.setItem(STORAGE_KEY, locale);
  } catch {
    // ignore
  }
  if (typeof document !== 'undefined') document.documentElement.lang = locale;
}

/** Translates `key`; unknown keys are returned unchanged so literal titles also work. */
export function t(key: MessageKey | (string & {}), params?: Record<string, string | number>): string {
  const template = messages[currentLocale.value][key] ?? messages[DEFAULT_LOCALE][key] ?? key;
  if (!params) return template;
  return template.replace(/\{(\w+)\}/g, (match, name: string) =>
    Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : match,
  );
}

export function useI18n() {
  return { locale: currentLocale, locales: LOCALES, t, setLocale };
}
