import type { RouteRecordRaw } from 'vue-router';
import { ROLES } from '@/api/auth';

/**
 * Task executions and schedules. `jobs:read` is held by every role (admin, finance, operator,
 * auditor), so every role may open these pages; running, cancelling and retrying (`jobs:run`) and
 * editing schedules (`jobs:schedule`) are admin only, checked in the pages with `useCan`.
 */
const jobs: RouteRecordRaw[] = [
  {
    path: 'jobs',
    name: 'jobs',
    component: () => import('@/views/jobs/list.vue'),
    meta: { title: 'menu.jobs', icon: 'icon-history', roles: [...ROLES], order: 60 },
  },
  {
    path: 'jobs/:id(\\d+)',
    name: 'job-execution',
    component: () => import('@/views/jobs/detail.vue'),
    meta: { title: 'job.detail.title', roles: [...ROLES], hideInMenu: true, activeMenu: '/jobs' },
  },
  {
    path: 'job-schedules',
    name: 'job-schedules',
    component: () => import('@/views/jobs/schedules.vue'),
    meta: { title: 'menu.jobSchedules', icon: 'icon-clock-circle', roles: [...ROLES], order: 61 },
  },
];

export default jobs;
