"""The ticket pages, one module per kind of page."""

from .actions import approve, close, reject, reply
from .create import ticket_create
from .detail import evidence_file, evidence_thumbnail, ticket_detail
from .info import handling_times
from .lists import ticket_list
from .workbench import (
    review_approve,
    review_claim,
    review_close,
    review_queue,
    review_reject,
    review_take_over,
    review_ticket,
)
from .workday import (
    assign,
    assign_many,
    assignment_rules,
    batch_reply,
    reply_presence,
    reply_template_delete,
    reply_templates,
)

__all__ = ["approve", "assign", "assign_many", "assignment_rules", "batch_reply", "close",
           "evidence_file", "evidence_thumbnail", "handling_times", "reject", "reply",
           "reply_presence", "reply_template_delete", "reply_templates", "review_approve",
           "review_claim", "review_close", "review_queue", "review_reject", "review_take_over",
           "review_ticket", "ticket_create", "ticket_detail", "ticket_list"]
