"""settings in force by date (inspections judge by them)

Revision ID: 0016
Revises: 0015

"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

import docflow.core.db  # noqa: F401

# revision identifiers, used by Alembic.
revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
