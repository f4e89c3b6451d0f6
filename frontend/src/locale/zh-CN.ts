export default {
  'app.title': 'OP-CMS',
  'app.subtitle': '客户运营与计费管理系统',

  'menu.dashboard': '工作台',

  'role.admin': '管理员',
  'role.finance': '财务',
  'role.operator': '运营',
  'role.auditor': '审计',

  'navbar.logout': '退出登录',
  'navbar.switchLocale': 'English',

  'login.title': '登录',
  'login.username': '用户名',
  'login.password': '密码',
  'login.username.placeholder': '请输入用户名',
  'login.password.placeholder': '请输入密码',
  'login.username.required': '请输入用户名',
  'login.password.required': '请输入密码',
  'login.submit': '登录',
  'login.retryAfter': '请在 {seconds} 秒后重试',

  'dashboard.welcome': '欢迎使用 OP-CMS',
  'dashboard.greeting': '你好，{name}',
  'dashboard.role': '当前角色',
  'dashboard.permissions': '权限数量',

  'exception.403.title': '无权访问',
  'exception.403.subtitle': '你的角色无权访问此页面，如需开通请联系管理员。',
  'exception.404.title': '页面不存在',
  'exception.404.subtitle': '你访问的页面不存在或已被移除。',
  'exception.backHome': '返回首页',

  'error.network': '网络异常，无法连接服务器',
  'error.timeout': '请求超时，请稍后重试',
  'error.canceled': '请求已取消',
  'error.http': '请求失败（HTTP {status}）',
  'error.unknown': '未知错误',
  'error.sessionExpired': '登录已过期，请重新登录',
} satisfies Record<string, string>;
