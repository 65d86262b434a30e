"""bulk selections frozen under an id, the run's operator, Francophone schools

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01

- bulk_award_run: a search records its selection as a run in status Searched; Continue starts
  exactly that selection once (operator, run_operator, delivery_method, processing_started_utc).
  Runs made before this revision were started by `run` directly: they keep their status and
  their delivery method stays in the criteria JSON.
- bulk_award_run_student: the requirement set and expected school year the search found.
- organization: is_francophone (a Francophone school's students get French credentials).
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('bulk_award_run') as batch:
        batch.add_column(sa.Column('operator', sa.String(length=200), nullable=True))
        batch.add_column(sa.Column('run_operator', sa.String(length=200), nullable=True))
        batch.add_column(sa.Column('delivery_method', sa.String(length=40), nullable=True))
        batch.add_column(sa.Column('processing_started_utc', sa.DateTime(), nullable=True))
    with op.batch_alter_table('bulk_award_run_student') as batch:
        batch.add_column(sa.Column('requirement_set', sa.String(length=40), nullable=True))
        batch.add_column(sa.Column('expected_school_year', sa.Integer(), nullable=True))
    with op.batch_alter_table('organization') as batch:
        batch.add_column(sa.Column('is_francophone', sa.Boolean(), nullable=False,
                                   server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('organization') as batch:
        batch.drop_column('is_francophone')
    with op.batch_alter_table('bulk_award_run_student') as batch:
        batch.drop_column('expected_school_year')
        batch.drop_column('requirement_set')
    with op.batch_alter_table('bulk_award_run') as batch:
        batch.drop_column('processing_started_utc')
        batch.drop_column('delivery_method')
        batch.drop_column('run_operator')
        batch.drop_column('operator')
