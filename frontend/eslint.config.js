// ESLint (flat config): the recommended rules of ESLint, typescript-eslint and eslint-plugin-vue;
// eslint-config-prettier comes last so that layout is Prettier's alone (`npm run lint` runs both).
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import vue from 'eslint-plugin-vue';
import globals from 'globals';
import tseslint from 'typescript-eslint';

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
  prettier,
);
