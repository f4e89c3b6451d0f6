/**
 * Labels of what the backend sends as names and codes — job names and descriptions, the counters
 * of a task execution, a job's parameters — so the UI shows them in its language (merged into
 * `../zh-CN.ts`).
 */
export default {
  'job.name.usage.upload': '上传用量文件',
  'job.name.billing.run_chunk': '生成账单（分批）',

  'job.description.usage.pull_day':
    '从数据源（全部启用的或指定的一个）拉取某天（默认昨天，业务时区）或一段日期的用量',
  'job.description.usage.upload': '把上传的用量文件写入用量记录，异常留待审核',
  'job.description.billing.run_period': '为某个账期（默认上个月）的全部计费客户或其中一个生成账单',
  'job.description.billing.run_chunk': '一次账单生成中的一批客户',
  'job.description.reminders.send_overdue':
    '在相对到期日的各个阶段（默认 -3, 1, 7, 15, 30 天）提醒客户（邮件、短信）和负责人（企业微信）未结清的账单；每张账单每个阶段最多一次',
  'job.description.customers.account_automation':
    '暂停有账单逾期超过设定天数的正常客户；因逾期暂停的客户在没有逾期账单后恢复',
  'job.description.analytics.score_customers':
    '计算每个客户当天的价值分层、生命周期、流失预警和信用分；重跑某天会替换当天的评分',

  'job.schedule.description.usage-pull-nightly': '昨天的用量，来自全部启用的数据源',
  'job.schedule.description.account-automation-daily': '暂停逾期过久的客户，恢复已结清的客户',
  'job.schedule.description.invoice-run-monthly': '上个月的账单，在拉取完其最后一天的用量之后',
  'job.schedule.description.overdue-reminders-daily': '逾期提醒：阶段为相对到期日的天数',
  'job.schedule.description.customer-scores-daily': '客户评分：价值分层、生命周期、流失预警和信用分',

  'usage.pull.counter.skipped': '已跳过',
  'usage.pull.counter.no_charge': '无费用',
  'usage.pull.counter.suspended': '已暂停',
  'usage.pull.counter.reactivated': '已恢复',
  'usage.pull.counter.notifications': '通知',
  'usage.pull.counter.already_sent': '已发送过',
  'usage.pull.counter.no_recipient': '无收件人',

  'usage.anomaly.why.unknown_account': '没有客户映射到账号 {account}',
  'usage.anomaly.why.unknown_metric': '没有启用的计量项 {metric}',
  'usage.anomaly.why.invalid_quantity': '数量无效：{quantity}',
  'usage.anomaly.why.negative_quantity': '数量为负：{quantity}',
  'usage.anomaly.why.day_outside_request': '日期 {day} 不在请求的范围（{asked}）内',
  'usage.anomaly.why.spike': '{quantity} 超过近期日均 {average} 的 {factor} 倍',

  'job.reason.running': '同一任务、同样参数的运行 #{id} 正在进行',
  'job.reason.cancelled': '由 {who} 取消：{reason}',
  'job.reason.lost': '自 {since} 起没有心跳（执行进程丢失）',

  'job.param.issue_date': '开票日期',
  'job.param.chunk_size': '每批客户数',
  'job.param.file_name': '文件名',
  'job.param.stored_name': '存储文件名',
  'job.param.customer_code': '客户编号',
  'job.param.execution_id': '执行编号',
};
