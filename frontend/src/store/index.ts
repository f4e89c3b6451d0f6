import { createPinia } from 'pinia';

export { useAuthStore } from './auth';
export { connectHttpSession } from './session';

const pinia = createPinia();
export default pinia;
