/** Messages of the task executions and schedules pages (merged into `../en-US.ts`). */
import type zhCN from './zh-CN';

const enUS: Record<keyof typeof zhCN, string> = {
  'menu.jobs': 'Job runs',
  'menu.jobSchedules': 'Schedules',

  'job.name.usage.pull_day': 'Usage pull',
  'job.name.billing.run_period': 'Invoice run',
  'job.name.reminders.send_overdue': 'Overdue reminders',
  'job.name.customers.account_automation': 'Account automation',
  'job.name.analytics.score_customers': 'Customer scores',
  'job.name.jobs.prune_retention': 'Retention',
  'job.name.notifications.check_channels': 'Notification channel health',

  'job.field.job': 'Job',
  'job.field.parameters': 'Parameters',
  'job.field.result': 'Result',
  'job.field.log': 'Log',
  'job.field.startedAt': 'Started',
  'job.field.finishedAt': 'Finished',
  'job.field.heartbeat': 'Last heartbeat',
  'job.field.retryOf': 'Retry of',
  'job.field.retries': 'Retries',

  'job.param.first_day': 'First day',
  'job.param.last_day': 'Last day',
  'job.param.day': 'Day',
  'job.param.source': 'Data source',
  'job.param.period': 'Period',
  'job.param.customer_id': 'Customer',
  'job.param.stages': 'Reminder stages (days from the due date)',
  'job.param.suspend_after_days': 'Suspend after days overdue',
  'job.paramHint.first_day': 'Blank: yesterday',
  'job.paramHint.last_day': 'Blank: the first day only',
  'job.paramHint.day': 'Blank: today',
  'job.paramHint.source': 'Blank: every enabled source',
  'job.paramHint.period': 'Blank: last month',
  'job.paramHint.customer_id': 'Blank: every customer',
  'job.paramHint.stages': 'Comma separated, e.g. -3, 1, 7, 15, 30; blank: the default stages',
  'job.paramHint.suspend_after_days': 'Blank: the system setting',

  'job.rule.integer': 'A whole number',
  'job.rule.integers': 'Whole numbers separated by commas',
  'job.rule.range': 'The last day must not be before the first',

  'job.action.cancel': 'Cancel',
  'job.action.retry': 'Retry',

  'job.run.action': 'Run now',
  'job.run.title': 'Run a job now',
  'job.run.start': 'Run',
  'job.run.needJob': 'Pick a job',
  'job.run.asJson': 'Parameters as JSON',
  'job.run.jsonHint': "A JSON object; a null parameter takes the job's default",
  'job.run.lockHint':
    'One run of a job with the same parameters at a time: while "{job}" runs, this one is recorded as skipped.',
  'job.run.alreadyRunning': 'This job is already running',
  'job.run.alreadyRunningHint':
    'A run with the same parameters has not finished; this one was recorded as skipped (#{skipped}).',
  'job.run.openRunning': 'Open the running #{id}',

  'job.message.queued': 'Run #{id} queued',
  'job.message.cancelled': '#{id} cancelled',
  'job.message.retried': 'Retry #{id} queued',

  'job.cancel.title': 'Cancel job run #{id}',
  'job.cancel.hint': 'Only a pending run can be cancelled; the worker then skips it.',

  'job.detail.title': 'Job run',
  'job.detail.heading': '#{id} {job}',
  'job.detail.backToList': 'Back to job runs',
  'job.detail.notFound': 'Job run not found',
  'job.detail.error': 'Error',
  'job.detail.noLog': 'No log',

  'job.schedule.name': 'Schedule',
  'job.schedule.cron': 'Cron expression',
  'job.schedule.cronHint': 'minute hour day month weekday, e.g. 0 2 * * * (daily at 02:00), in the time zone',
  'job.schedule.cronFields': 'A cron expression has 5 fields: minute hour day month weekday',
  'job.schedule.timezone': 'Time zone',
  'job.schedule.enabled': 'Enabled',
  'job.schedule.nextRun': 'Next run',
  'job.schedule.lastRun': 'Last run',
  'job.schedule.updated': 'Changed',
  'job.schedule.off': 'Disabled',
  'job.schedule.hint': 'Started by the one active Beat; a disabled schedule never fires.',
  'job.schedule.editTitle': 'Edit schedule {name}',
  'job.schedule.parametersHint':
    "The job's parameters (a JSON object), checked against the job's rules on save",
  'job.schedule.saved': 'Schedule {name} saved',
  'job.schedule.enabledMessage': 'Schedule {name} enabled',
  'job.schedule.disabledMessage': 'Schedule {name} disabled',
};

export default enUS;
