"""``copy.copy`` without its generic path, for the form, filter and serializer
fields every request copies.

``copy.copy`` of an ordinary instance goes through the reduce protocol
(``__reduce_ex__``, ``copyreg.__newobj__``, ``copy._reconstruct``) to end with
a new instance holding the same ``__dict__``: several times the cost of making
that instance directly, and the filter form's and the API's fields are copied
for every list page and API call. ``shallow_copy`` makes it directly where the
class copies plainly, and leaves everything else to ``copy.copy``.
"""

from __future__ import annotations

import copy
import functools

_HOOKS = ("__reduce_ex__", "__reduce__", "__getstate__")


def shallow_copy(obj, *, plain_new=object.__new__):
    """What ``copy.copy(obj)`` returns. ``plain_new``: a ``__new__`` of the
    class's that records nothing a copy of ``__dict__`` would not carry (DRF's
    ``Field.__new__`` keeps the arguments in the instance's ``__dict__``)."""
    if not _copies_plainly(type(obj), plain_new):
        return copy.copy(obj)
    copied = object.__new__(type(obj))
    copied.__dict__.update(obj.__dict__)
    return copied


@functools.cache
def _copies_plainly(cls, plain_new) -> bool:
    """Whether copy.copy copies instances of ``cls`` by their ``__dict__``
    alone: no copy or pickling hooks of its own, no slots."""
    return (cls.__new__ in (object.__new__, plain_new)
            and all(getattr(cls, hook) is getattr(object, hook) for hook in _HOOKS)
            and not hasattr(cls, "__copy__") and not hasattr(cls, "__setstate__")
            and cls.__dictoffset__ != 0
            and not any("__slots__" in vars(base) for base in cls.__mro__))


def copies_plainly(cls) -> bool:
    """``shallow_copy`` copies instances of ``cls`` directly (default ``plain_new``)."""
    return _copies_plainly(cls, object.__new__)
