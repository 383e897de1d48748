"""Alembic's environment for the gate's schema (``sop-portal db upgrade``, ``db revision``).

:mod:`gate.db` opens the connection (SQLite or PostgreSQL, from ``DATABASE_URL``) and hands it
over in ``config.attributes["connection"]``; the models in :mod:`gate.models` are the target of
autogenerate. Revisions render in batch mode, so a column change works on SQLite too, and
render the gate's own column types as their plain SQLAlchemy type (no ``gate`` import in a
revision: a revision must keep working after the models change).
"""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import MetaData, TypeDecorator

from gate.models import Base


def render_item(kind: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Render a ``TypeDecorator`` column type (``UTCDateTime``) as its ``sa.`` implementation."""
    if kind == "type" and isinstance(obj, TypeDecorator):
        return f"sa.{obj.impl!r}"
    return False


def run_migrations() -> None:
    """Run the requested command on the connection :mod:`gate.db` opened."""
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise SystemExit("error: run the migrations through `sop-portal db upgrade`")
    metadata: MetaData = context.config.attributes.get("metadata", Base.metadata)
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=True,
        compare_type=True,
        render_item=render_item,
        process_revision_directives=context.config.attributes.get("directives"),
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
