import { createApp } from 'vue';
import ArcoVue from '@arco-design/web-vue';
import ArcoVueIcon from '@arco-design/web-vue/es/icon';
import '@arco-design/web-vue/dist/arco.css';
import './styles/global.css';

import App from './App.vue';
import pinia, { connectHttpSession } from './store';
import { createAppRouter } from './router';
import { currentLocale } from './locale';

const app = createApp(App);
app.use(pinia);
const router = createAppRouter(pinia);
connectHttpSession(pinia, router);
app.use(router);
app.use(ArcoVue);
app.use(ArcoVueIcon);
document.documentElement.lang = currentLocale.value;
app.mount('#app');
