/** Labels of what the backend sends as names and codes (merged into `../en-US.ts`). */
import type zhCN from './zh-CN';

const enUS: Record<keyof typeof zhCN, string> = {
  'job.name.usage.upload': 'Usage file upload',
  'job.name.billing.run_chunk': 'Invoice run (batch)',

  'job.description.usage.pull_day':
    'Pull the usage of a day (default yesterday, business time zone) or a range from the data sources (all enabled, or one)',
  'job.description.usage.upload':
    'Write an uploaded usage file into the usage records; anomalies are held for review',
  'job.description.billing.run_period':
    'Invoice a period (default last month) for every billable customer, or one',
  'job.description.billing.run_chunk': 'One batch of customers of an invoice run',
  'job.description.reminders.send_overdue':
    'Remind customers (e-mail, SMS) and owners (WeCom) of open invoices at stages relative to the due date (default -3, 1, 7, 15, 30 days); each invoice and stage at most once',
  'job.description.customers.account_automation':
    'Suspend active customers with an invoice overdue more than the set days; reactivate customers suspended for overdue once nothing of theirs is overdue',
  'job.description.analytics.score_customers':
    "Value tier, lifecycle, churn warning and credit score of every customer for a day; re-running a day replaces that day's scores",

  'job.schedule.description.usage-pull-nightly': "Yesterday's usage from every enabled data source",
  'job.schedule.description.account-automation-daily':
    'Suspend customers with an invoice overdue too long, reactivate those settled',
  'job.schedule.description.invoice-run-monthly': "Last month's invoices, after the pull of its last day",
  'job.schedule.description.overdue-reminders-daily':
    'Overdue reminders: stages in days relative to the due date',
  'job.schedule.description.customer-scores-daily':
    'Customer scores: value tier, lifecycle, churn warning and credit score',

  'usage.pull.counter.skipped': 'skipped',
  'usage.pull.counter.no_charge': 'no charge',
  'usage.pull.counter.suspended': 'suspended',
  'usage.pull.counter.reactivated': 'reactivated',
  'usage.pull.counter.notifications': 'notifications',
  'usage.pull.counter.already_sent': 'already sent',
  'usage.pull.counter.no_recipient': 'no recipient',

  'usage.anomaly.why.unknown_account': 'No customer is mapped to account {account}',
  'usage.anomaly.why.unknown_metric': 'No active metric {metric}',
  'usage.anomaly.why.invalid_quantity': 'Not a valid quantity: {quantity}',
  'usage.anomaly.why.negative_quantity': 'Negative quantity {quantity}',
  'usage.anomaly.why.day_outside_request': 'Day {day} is outside the request ({asked})',
  'usage.anomaly.why.spike': '{quantity} is more than {factor} × the trailing average {average}',

  'job.reason.running': 'Run #{id} of the same job with the same parameters is running',
  'job.reason.cancelled': 'Cancelled by {who}: {reason}',
  'job.reason.lost': 'No heartbeat since {since} (worker lost)',

  'job.param.issue_date': 'Issue date',
  'job.param.chunk_size': 'Customers per batch',
  'job.param.file_name': 'File name',
  'job.param.stored_name': 'Stored file name',
  'job.param.customer_code': 'Customer code',
  'job.param.execution_id': 'Execution',
};

export default enUS;
