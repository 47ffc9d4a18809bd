"""A discount on each product: a column, filled in, then required."""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.add_column("products", sa.Column("discount_pct", sa.Integer(), nullable=True))
    op.execute("UPDATE products SET discount_pct = 0")
    op.alter_column("products", "discount_pct", nullable=False)
