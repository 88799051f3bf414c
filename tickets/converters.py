"""Path converters for the ticket URLs.

A ticket number is exactly 16 ASCII digits (``models.new_ticket_number`` and the
bulk seeding both make them so). Matching only that shape in the URL makes any
other path segment a 404 before a query is built: a NUL byte would otherwise
reach PostgreSQL (which refuses it with an error, a 500) and a 100,000-character
segment would be sent to the database just to find nothing."""


class TicketNumberConverter:
    # [0-9], not \d: \d also matches other scripts' digits, which are no ticket's number.
    regex = "[0-9]{16}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value
