"""The notification domain's refusals (rendered as the one JSON error shape)."""

from __future__ import annotations

from opcms.core.errors import Conflict, ValidationFailed


class TemplateRenderError(ValidationFailed):
    """The template cannot be rendered with these variables (or is not valid Jinja2)."""

    code = "template_render_error"


class ChannelUnavailable(Conflict):
    """No channel to send on: none given and the template has no default, or it is disabled."""

    code = "channel_unavailable"


class NotResendable(Conflict):
    code = "notification_not_resendable"
