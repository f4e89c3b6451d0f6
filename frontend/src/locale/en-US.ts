import type zhCN from './zh-CN';

const enUS: Record<keyof typeof zhCN, string> = {
  'app.title': 'OP-CMS',
  'app.subtitle': 'Customer operations & billing',

  'menu.dashboard': 'Dashboard',

  'role.admin': 'Administrator',
  'role.finance': 'Finance',
  'role.operator': 'Operator',
  'role.auditor': 'Auditor',

  'navbar.logout': 'Log out',
  'navbar.switchLocale': '中文',

  'login.title': 'Sign in',
  'login.username': 'Username',
  'login.password': 'Password',
  'login.username.placeholder': 'Username',
  'login.password.placeholder': 'Password',
  'login.username.required': 'Please enter your username',
  'login.password.required': 'Please enter your password',
  'login.submit': 'Sign in',
  'login.retryAfter': 'Try again in {seconds} s',

  'dashboard.welcome': 'Welcome to OP-CMS',
  'dashboard.greeting': 'Hello, {name}',
  'dashboard.role': 'Role',
  'dashboard.permissions': 'Permissions',

  'exception.403.title': 'Access denied',
  'exception.403.subtitle': 'Your role may not open this page. Ask an administrator for access.',
  'exception.404.title': 'Page not found',
  'exception.404.subtitle': 'The page does not exist or has been removed.',
  'exception.backHome': 'Back to home',

  'error.network': 'Network error: the server cannot be reached',
  'error.timeout': 'The request timed out, please try again',
  'error.canceled': 'The request was canceled',
  'error.http': 'Request failed (HTTP {status})',
  'error.unknown': 'Unknown error',
  'error.sessionExpired': 'Your session has expired, please sign in again',
};

export default enUS;
