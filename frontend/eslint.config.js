// ESLint (flat config): the recommended rules of ESLint, typescript-eslint and eslint-plugin-vue;
// eslint-config-prettier comes last so that layout is Prettier's alone (`npm run lint` runs both).
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import vue from 'eslint-plugin-vue';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// A page folder (`src/views/<domain>/`) imports only itself and the shared layers (`@/components`,
// `@/composables`, `@/api`, `@/utils`, `@/store`, `@/locale`, `@/router`, `@/types`): what two
// domains share lives in a shared layer, so no view folder depends on another. Its own files are
// imported relatively, so a relative path may not climb out of the folder (how far it may climb
// depends on how deep the file is), and `@/views/...` is for the router alone.
const VIEWS_MESSAGE =
  'A view folder imports only itself and the shared layers (components, composables, api, utils, store, locale); move what is shared there.';
const viewImports = (climb) => ({
  'no-restricted-imports': [
    'error',
    {
      patterns: [
        { regex: '^@/views(/|$)', message: VIEWS_MESSAGE },
        { regex: `^(\\.\\./){${climb}}`, message: VIEWS_MESSAGE },
      ],
    },
  ],
});

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...vue.configs['flat/recommended'],
  {
    files: ['**/*.vue'],
    languageOptions: { parserOptions: { parser: tseslint.parser } },
  },
  {
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: { ...globals.browser },
    },
  },
  {
    // build scripts and configs run in Node
    files: ['scripts/**', '*.config.{js,ts}'],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    // A page (`views/<domain>/list.vue`, `detail.vue`, `index.vue`...) is mounted by the router or
    // imported under a multi-word name (`import CustomerForm from './form.vue'`); its file name is
    // never written as a tag, so it cannot clash with an HTML element, which is what the rule guards.
    files: ['src/views/*/*.vue'],
    rules: { 'vue/multi-word-component-names': 'off' },
  },
  { files: ['src/views/*/*.{ts,vue}'], rules: viewImports(1) },
  { files: ['src/views/*/*/*.{ts,vue}'], rules: viewImports(2) },
  { files: ['src/views/*/*/*/*.{ts,vue}'], rules: viewImports(3) },
  {
    // the shared layers never reach into a page folder (only the router mounts pages)
    files: ['src/**/*.{ts,vue}'],
    ignores: ['src/views/**', 'src/router/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: '(^@/|/)views(/|$)', message: 'Only the router imports pages (src/views).' }] },
      ],
    },
  },
  {
    // a unit test mounts small harness components of its own beside the one under test
    files: ['tests/**/*.ts'],
    rules: { 'vue/one-component-per-file': 'off' },
  },
  prettier,
);
