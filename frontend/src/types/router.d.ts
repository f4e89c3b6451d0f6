import 'vue-router';
import type { Role } from '@/api/auth';

/** The sider's groups, by work: customers, pricing and usage, invoices and payments, system and audit. */
export type MenuGroup = 'customers' | 'pricing-usage' | 'invoices-payments' | 'system-audit';

declare module 'vue-router' {
  interface RouteMeta {
    /** i18n key (or literal text) used for the menu entry and the document title. */
    title?: string;
    /** Roles allowed to open the route (inherited by children). Absent = any logged-in user. */
    roles?: Role[];
    /** Name of a globally registered Arco icon component, e.g. `icon-dashboard`. */
    icon?: string;
    /** Reachable without logging in (login page, 404). */
    public?: boolean;
    /** Not shown in the sider menu. */
    hideInMenu?: boolean;
    /** The menu group the page is listed under (pages without one stand alone, e.g. the dashboard). */
    group?: MenuGroup;
    /** Menu ordering, ascending. */
    order?: number;
    /** Menu key to highlight for a page that is not in the menu itself (e.g. a detail page). */
    activeMenu?: string;
  }
}

export {};
