from tickets.models import TicketStatus


def test_fixture_ticket_is_pending_with_deadline(pending_ticket):
    assert pending_ticket.status == TicketStatus.PENDING
    assert pending_ticket.deadline is not None
