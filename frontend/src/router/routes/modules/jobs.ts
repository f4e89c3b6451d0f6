import type { RouteRecordRaw } from 'vue-router';
import { menuRoute, recordRoute } from '../base';

/**
 * Task executions and schedules. `jobs:read` is held by every role (admin, finance, operator,
 * auditor), so every role may open these pages; running, cancelling and retrying (`jobs:run`) and
 * editing schedules (`jobs:schedule`) are admin only, checked in the pages with `useCan`.
 */
const jobs: RouteRecordRaw[] = [
  menuRoute('jobs', () => import('@/views/jobs/list.vue'), 'icon-history', 60, undefined, 'system-audit'),
  recordRoute('job', 'jobs', () => import('@/views/jobs/detail.vue'), 'job-execution'),
  menuRoute(
    'job-schedules',
    () => import('@/views/jobs/schedules.vue'),
    'icon-clock-circle',
    61,
    undefined,
    'system-audit',
  ),
];

export default jobs;
