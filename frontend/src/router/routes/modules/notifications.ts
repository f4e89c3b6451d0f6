import type { RouteRecordRaw } from 'vue-router';
import { menuRoute } from '../base';

/**
 * Notifications, their channels and templates. `notifications:read` is held by every role, so
 * every role may open these pages; resending, sending a test message and configuring channels
 * and templates (`notifications:write`) are admin only, checked in the pages with `useCan`.
 */
const notifications: RouteRecordRaw[] = [
  menuRoute(
    'notifications',
    () => import('@/views/notifications/list.vue'),
    'icon-notification',
    70,
    undefined,
    'system-audit',
  ),
  menuRoute(
    'notification-channels',
    () => import('@/views/notifications/channels.vue'),
    'icon-send',
    71,
    undefined,
    'system-audit',
  ),
  menuRoute(
    'notification-templates',
    () => import('@/views/notifications/templates.vue'),
    'icon-code',
    72,
    undefined,
    'system-audit',
  ),
];

export default notifications;
