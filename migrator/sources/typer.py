"""Typing raw records at the speed of a million-record export, with the exact result of pydantic.

`type_record` (record.py) validates a raw record through its pydantic model; that is the reference.
Almost every field of a source model is a scalar declared with one of the `coerce.X*` types: a
`BeforeValidator` calling one coercer, then a plain type check. For those fields the typer calls
the same coercer directly, checks the result's type exactly, and builds the instance the way
`BaseModel.model_construct` does — skipping pydantic's per-field machinery, which measured at
three quarters of the typing time. Anything else (a nested list of contacts or lines, a value of
an unexpected type, a coercer that refuses the value) goes through `type_record`, so results and
error messages are identical by construction; `tests/sources/test_typer.py` checks that on every
fixture record and on generated ones.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from pydantic import BeforeValidator

from migrator.sources.record import Origin, RawRecord, SourceRecord, type_record

_object_setattr = object.__setattr__
# The annotation of a `coerce.X*` field -> the exact type its coercer returns (None aside).
_SCALARS: dict[Any, type] = {
    str | None: str,
    Decimal | None: Decimal,
    bool | None: bool,
    int | None: int,
    dt.date | None: dt.date,
    dt.datetime | None: dt.datetime,
}
_BOOKKEEPING = frozenset({"id", "origin", "extras"})


class _Slow(Exception):
    """This record needs full validation."""


class RecordTyper:
    """Types raw records into one source model (see the module docstring)."""

    def __init__(self, model: type[SourceRecord], system: str) -> None:
        self.model = model
        self.system = system
        self.resource = model.resource
        self._coercers: dict[str, tuple[Callable[[Any], Any], type]] = {}
        self._known = frozenset(model.model_fields)
        self._defaults: dict[str, Any] = {}
        for name, info in model.model_fields.items():
            # Every field has a slot, in declaration order, so `__dict__` is laid out as pydantic lays it.
            self._defaults[name] = None
            if name in _BOOKKEEPING:
                continue
            scalar = _SCALARS.get(info.annotation)
            validators = [item for item in info.metadata if isinstance(item, BeforeValidator)]
            if scalar is not None and len(validators) == len(info.metadata) == 1 and info.alias is None:
                self._coercers[name] = (validators[0].func, scalar)  # type: ignore[assignment]
            self._defaults[name] = info.get_default(call_default_factory=True)
        # The shortcut builds instances as `model_construct` does; only for models where that is all
        # there is to it (no post-init hook, private attributes, extras or aliases).
        self._direct = (
            not model.__pydantic_post_init__
            and not model.__private_attributes__
            and model.model_config.get("extra") != "allow"
        )

    def __call__(self, record_id: str, fields: dict[str, Any], file: str, line: int | None) -> SourceRecord:
        """The typed record; a value that cannot be typed raises the located `SourceError`."""
        origin = Origin(self.system, self.resource, record_id, file, line)
        coercers, known = self._coercers, self._known
        values: dict[str, Any] = {}
        extras: dict[str, Any] = {}
        try:
            for key, value in fields.items():
                entry = coercers.get(key)
                if entry is not None:
                    coerced = entry[0](value)
                    if coerced is not None and type(coerced) is not entry[1]:
                        raise _Slow
                    values[key] = coerced
                elif key in known:
                    if key in _BOOKKEEPING:
                        continue  # set from the record's key and place below, as `type_record` does
                    if value is not None:
                        raise _Slow  # a nested model (contacts, lines)
                    values[key] = None
                elif value is not None:
                    extras[key] = value  # unknown to the model: kept raw, reported as lossy by the mapping
        except (_Slow, ValueError, TypeError, ArithmeticError):
            return self._validate(record_id, fields, file, line)
        fields_set = set(values)
        fields_set.update(_BOOKKEEPING)
        values["id"] = record_id
        values["origin"] = origin
        values["extras"] = extras
        if not self._direct:
            return self.model.model_construct(fields_set, **{**self._defaults, **values})
        record = self.model.__new__(self.model)
        _object_setattr(record, "__dict__", {**self._defaults, **values})
        _object_setattr(record, "__pydantic_fields_set__", fields_set)
        _object_setattr(record, "__pydantic_extra__", None)
        _object_setattr(record, "__pydantic_private__", None)
        return record

    def _validate(self, record_id: str, fields: dict[str, Any], file: str, line: int | None) -> SourceRecord:
        return type_record(self.model, RawRecord(self.resource, record_id, fields, file, line), self.system)
