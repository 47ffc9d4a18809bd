"""Offline only: Alembic writes the SQL it would run; nothing connects."""

from alembic import context

context.configure(url=context.config.get_main_option("sqlalchemy.url"), literal_binds=True,
                  transactional_ddl=True)
with context.begin_transaction():
    context.run_migrations()
