"""The JSON shapes that cross a process boundary, as pydantic models, each written once.

The producer builds its answer as the model and serialises it (:func:`shared.api.answer`);
the service's OpenAPI document (:mod:`shared.openapi`) declares the same model, and the
window's client and the tests validate with it. A model refuses a field it does not declare
(:class:`shared.wire.base.Wire`), so a new field is added to the model first. Readers keep
the fields a newer service adds (the window validates with ``extra="allow"``).
"""
