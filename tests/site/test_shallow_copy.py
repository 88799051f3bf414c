"""servicedesk.shallow_copy: copy.copy without its generic path, where that is the same."""

from servicedesk.shallow_copy import shallow_copy


def test_copies_without_the_reduce_protocol_only_what_it_can_copy_so():
    """``shallow_copy`` copies an ordinary instance by its attributes, and leaves
    anything with copy hooks or slots (or a builtin) to copy.copy."""
    class Plain:
        def __init__(self):
            self.items = [1]

    class Hooked(Plain):
        def __copy__(self):
            return "hooked"

    class Slotted:
        __slots__ = ("value",)

    plain = Plain()
    copied = shallow_copy(plain)
    assert type(copied) is Plain and copied is not plain and copied.items is plain.items
    assert shallow_copy(Hooked()) == "hooked"
    slotted = Slotted()
    slotted.value = 3
    assert shallow_copy(slotted).value == 3
    items = [1, 2]
    assert shallow_copy(items) == items and shallow_copy(items) is not items
