"""The contracts' hot path (issue 21): each marshmallow schema compiled once
into a plain loader and a plain dumper, so the suite checks an event without
marshmallow's per-call machinery. The contracts stay defined once, in
marshmallow: a compiled loader calls the very fields (their ``_deserialize``,
their validators) and the very schema validators, in the schema's order.

A compiled loader only ever *accepts*. Anything it does not take for certain —
an unknown or missing key, a null where none is allowed, a field or schema
validator that refuses, a hook it does not know — sends the payload to the
schema's own ``load``, which refuses it with exactly the messages it always
gave (the dead-letter reason and detail do not change) or, should the loader
have been wrong, accepts it. ``tests/test_contracts_compiled.py`` checks, on
random valid and invalid payloads of every event type (hypothesis) and on the
whole contract corpus, that both give the same loaded data, the same refusals
and the same bytes on the wire.

A compiled dumper does what ``Schema.dump`` does for these schemas: each
declared field of the mapping through the field's ``_serialize``, absent
fields left out (they have no dump default), nested schemas compiled too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from marshmallow import INCLUDE, RAISE, Schema, ValidationError, fields, missing


class NotCertain(Exception):
    """The compiled loader leaves this payload to marshmallow."""


Loader = Callable[[Any], dict[str, Any]]
Dumper = Callable[[Mapping[str, Any]], dict[str, Any]]

# the hooks a compiled schema may have: schema validators that take the loaded
# data only (as every data schema's), or the original too (the envelope's)
_KNOWN_HOOKS = {"validates_schema"}


def _schema_validators(schema: Schema) -> list[tuple[Callable[..., Any], bool, bool]]:
    """(bound validator, pass_original, skip_on_field_errors) in declared order;
    ``NotImplementedError`` for a schema with hooks this module does not copy."""
    hooks = {k: v for k, v in schema._hooks.items() if v}
    if set(hooks) - _KNOWN_HOOKS or schema.opts.unknown not in (RAISE, INCLUDE):
        raise NotImplementedError(f"{type(schema).__name__}: hooks {sorted(hooks)}")
    out = []
    for attr, many, kwargs in hooks.get("validates_schema", []):
        if many:
            raise NotImplementedError(f"{type(schema).__name__}.{attr}: pass_many")
        out.append((getattr(schema, attr), bool(kwargs.get("pass_original")),
                    bool(kwargs.get("skip_on_field_errors", True))))
    return out


def _field_loader(field: fields.Field) -> Callable[[Any, str, dict[str, Any]], Any]:
    """The field's own conversion and validators (marshmallow's ``deserialize``
    without its bookkeeping); nested schemas through their compiled loader."""
    validators = tuple(field.validators)
    if isinstance(field, fields.Nested):
        if field.many or not isinstance(field.nested, type) or \
                not issubclass(field.nested, Schema):
            raise NotImplementedError("nested: a schema class, one object")
        inner = loader_for(field.schema)

        def nested(value: Any, key: str, data: dict[str, Any]) -> Any:
            return inner(value)
        convert = nested
    else:
        convert = field._deserialize
    if not validators:
        return convert

    def checked(value: Any, key: str, data: dict[str, Any]) -> Any:
        loaded = convert(value, key, data)
        for validator in validators:
            if validator(loaded) is False:
                raise NotCertain
        return loaded
    return checked


def compile_loader(schema: Schema) -> Loader:
    """A loader for ``schema`` (one object); raises ``NotCertain`` for anything
    it leaves to the schema's own ``load``."""
    validators = _schema_validators(schema)
    specs = []
    for name, field in schema.fields.items():
        if field.dump_only:
            continue
        specs.append((name, field.data_key or name, _field_loader(field), field.required,
                      field.allow_none, field.load_default))
    known = frozenset(spec[1] for spec in specs)
    include = schema.opts.unknown == INCLUDE

    def load(data: Any) -> dict[str, Any]:
        if type(data) is not dict or (not include and not known.issuperset(data)):
            raise NotCertain
        out: dict[str, Any] = {}
        try:
            for name, key, convert, required, allow_none, default in specs:
                if key not in data:
                    if required:
                        raise NotCertain
                    if default is not missing:  # as marshmallow: not converted
                        out[name] = default() if callable(default) else default
                    continue
                value = data[key]
                if value is None:
                    if not allow_none:
                        raise NotCertain
                    out[name] = None
                else:
                    out[name] = convert(value, key, data)
            if include:
                for key, value in data.items():
                    if key not in known:
                        out[key] = value
            for validator, pass_original, _skip in validators:
                if pass_original:
                    validator(out, data, partial=None, many=False)
                else:
                    validator(out, partial=None, many=False)
        except (ValidationError, ValueError, TypeError, KeyError):
            raise NotCertain from None
        return out
    return load


def compile_dumper(schema: Schema) -> Dumper:
    """A dumper for ``schema``: ``Schema.dump`` of one mapping. A string given
    to a field that dumps strings as they are (``Text``, ``Choice``) is taken
    as it is."""
    _schema_validators(schema)  # the same schemas as the loader
    from doudi_contracts import fields as f

    as_given = (f.Text, f.Choice)
    specs = []
    for name, field in schema.fields.items():
        if field.load_only:
            continue
        if field.dump_default is not missing:
            raise NotImplementedError(f"{name}: a dump default")
        if isinstance(field, fields.Nested):
            inner = dumper_for(field.schema)

            def nested(value: Any, attr: str, obj: Any, inner: Dumper = inner,
                       field: fields.Field = field) -> Any:
                if value is None:
                    return None
                if not isinstance(value, Mapping):  # whatever marshmallow makes of it
                    return field._serialize(value, attr, obj)
                return inner(value)
            specs.append((name, field.data_key or name, nested, False))
        else:
            specs.append((name, field.data_key or name, field._serialize,
                          type(field) in as_given))

    def dump(data: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, key, serialize, text in specs:
            if name in data:
                value = data[name]
                out[key] = value if text and type(value) is str else \
                    serialize(value, name, data)
        return out
    return dump


# Fields whose dump of their own load gives back the wire value they loaded —
# the wire value a dump produced, that is: ``serialize(load(w)) == w`` for any
# ``w = serialize(x)`` the field accepts. For them the producer's last step
# (dumping the loaded data, so optional fields appear and IDs are normalised)
# keeps the wire value instead of serialising again. Exact classes only: a
# subclass may serialise differently. ``CertificateNo`` is not among them
# (it loads upper-cased what it dumped as given), nor are lists and nested
# objects. tests/test_compiled.py checks the whole against marshmallow.
def _fixed_point_fields() -> tuple[type[fields.Field], ...]:
    from doudi_contracts import fields as f

    return (f.Text, f.Choice, f.Int, f.Bool, f.UuidString, f.IdNumber, f.Uscc,
            f.DivisionCode, f.MoneyString, f.IsoDate, f.Month, f.Timestamp)


Redumper = Callable[[Mapping[str, Any], Mapping[str, Any]], dict[str, Any]]


def compile_redumper(schema: Schema) -> Redumper:
    """``schema.dump(loaded)`` given also ``wire``, the dump ``loaded`` was
    loaded from: the fixed-point fields keep their wire value."""
    dump = dumper_for(schema)
    fixed = _fixed_point_fields()
    specs = []
    for name, field in schema.fields.items():
        if field.load_only:
            continue
        if isinstance(field, fields.Nested):
            return lambda wire, loaded: dump(loaded)
        specs.append((name, field.data_key or name, field._serialize, type(field) in fixed))

    def redump(wire: Mapping[str, Any], loaded: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, key, serialize, same in specs:
            if name in loaded:
                if same and key in wire:
                    out[key] = wire[key]
                else:
                    out[key] = serialize(loaded[name], name, loaded)
        return out
    return redump


@cache
def _redumper(schema_class: type[Schema]) -> Redumper:
    schema = schema_class()
    if _compiled(schema_class)[0] is _uncompiled_load:
        return lambda wire, loaded: schema.dump(loaded)
    return compile_redumper(schema)


def redump(schema: Schema, wire: Mapping[str, Any], loaded: Mapping[str, Any]) -> dict[str, Any]:
    """``schema.dump(loaded)``, where ``loaded`` is ``schema``'s load of
    ``wire`` (itself a dump): the producer's last step, without serialising
    again what cannot have changed."""
    return _redumper(type(schema))(wire, loaded)


def _uncompiled_load(data: Any) -> dict[str, Any]:
    raise NotCertain


def _uncompiled(schema: Schema) -> tuple[Loader, Dumper]:
    """A schema this module cannot copy: everything goes to marshmallow."""
    def dump(data: Mapping[str, Any]) -> dict[str, Any]:
        return schema.dump(data)
    return _uncompiled_load, dump


@cache
def _compiled(schema_class: type[Schema]) -> tuple[Loader, Dumper]:
    schema = schema_class()
    try:
        return compile_loader(schema), compile_dumper(schema)
    except NotImplementedError:
        return _uncompiled(schema)


def loader_for(schema: Schema) -> Loader:
    return _compiled(type(schema))[0]


def dumper_for(schema: Schema) -> Dumper:
    return _compiled(type(schema))[1]


def load(schema: Schema, data: Any) -> dict[str, Any]:
    """``schema.load(data)``, by the compiled loader where it is certain."""
    try:
        return loader_for(schema)(data)
    except NotCertain:
        return schema.load(data)
