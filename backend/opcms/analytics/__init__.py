"""Analytics (DESIGN §11, issue 14): the finance dashboard, the aging report on screen, one
customer's analytics, and the nightly customer scores (value tier, lifecycle, churn warning,
credit score). Reads every other domain's tables through SQL aggregates; nothing imports it."""
