"""The JSON shapes that cross a process boundary, as pydantic models.

The producer declares them in its OpenAPI document (:mod:`shared.openapi`) and a client
that reads them can validate with the same model. Answers may carry more keys than a model
names (``extra="allow"``): a newer service can add fields without breaking an older client.
"""
