"""Strict spyne type helpers.

spyne's defaults are lax (``minOccurs=0`` and ``nillable=true``
everywhere) and a customized simple type lands in a made-up namespace
with a generated name.  Every field of our contract is declared through
:func:`required` or :func:`optional`, and every restricted simple type
through :func:`named_string` and friends, so the published XSD says
exactly what we enforce, in our own namespaces.
"""
from __future__ import annotations

from spyne.model import SimpleModel
from spyne.model.complex import Array
from spyne.model.primitive import Boolean, Date, DateTime, Integer32, Long, Unicode

XSD_NAMESPACE = "http://www.w3.org/2001/XMLSchema"


def _occurs(spyne_type, min_occurs: int):
    customized = spyne_type.customize(min_occurs=min_occurs, nillable=False)
    if (issubclass(spyne_type, SimpleModel)
            and spyne_type.get_namespace() != XSD_NAMESPACE
            and spyne_type.get_type_name() is not spyne_type.Empty):
        # Occurrence is a property of the element, not of the type: keep
        # referring to the named type instead of letting spyne derive an
        # anonymous restriction per field.
        customized.__type_name__ = spyne_type.__type_name__
        customized.__namespace__ = spyne_type.__namespace__
        customized.__extends__ = spyne_type.__extends__
    return customized


def required(spyne_type):
    return _occurs(spyne_type, 1)


def optional(spyne_type):
    return _occurs(spyne_type, 0)


def list_of(item_type, *, at_least_one: bool):
    """A wrapped list element that is itself required, holding 0+ or 1+ items."""
    item = required(item_type) if at_least_one else optional(item_type)
    return required(Array(item))


def named_string(name: str, namespace: str, *, max_len: int, min_len: int = 1,
                 pattern: str | None = None):
    kwargs = dict(type_name=name, max_len=max_len, min_len=min_len)
    if pattern is not None:
        kwargs["pattern"] = pattern
    return Unicode(__namespace__=namespace, **kwargs)


__all__ = [
    "Boolean",
    "Date",
    "DateTime",
    "Integer32",
    "Long",
    "Unicode",
    "list_of",
    "named_string",
    "optional",
    "required",
]
