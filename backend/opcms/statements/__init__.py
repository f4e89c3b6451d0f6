"""Bank statements (DESIGN §17): a bank's export read into lines, each incoming line turned into
a proposed payment and its allocations, accepted or undone in one sitting, and reported."""

from opcms.core.i18n import register
from opcms.statements.messages import MESSAGES

register(MESSAGES)

# the reading's own messages (not_a_statement, unknown_profile …) are registered as it is imported:
# with the package, so that every process that knows the models knows them too
from opcms.statements import reading  # noqa: E402, F401
