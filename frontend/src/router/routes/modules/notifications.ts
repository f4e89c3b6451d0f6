import type { RouteRecordRaw } from 'vue-router';
import { ROLES } from '@/api/auth';

/**
 * Notifications, their channels and templates. `notifications:read` is held by every role, so
 * every role may open these pages; resending, sending a test message and configuring channels
 * and templates (`notifications:write`) are admin only, checked in the pages with `useCan`.
 */
const notifications: RouteRecordRaw[] = [
  {
    path: 'notifications',
    name: 'notifications',
    component: () => import('@/views/notifications/list.vue'),
    meta: { title: 'menu.notifications', icon: 'icon-notification', roles: [...ROLES], order: 70 },
  },
  {
    path: 'notification-channels',
    name: 'notification-channels',
    component: () => import('@/views/notifications/channels.vue'),
    meta: { title: 'menu.notificationChannels', icon: 'icon-send', roles: [...ROLES], order: 71 },
  },
  {
    path: 'notification-templates',
    name: 'notification-templates',
    component: () => import('@/views/notifications/templates.vue'),
    meta: { title: 'menu.notificationTemplates', icon: 'icon-code', roles: [...ROLES], order: 72 },
  },
];

export default notifications;
