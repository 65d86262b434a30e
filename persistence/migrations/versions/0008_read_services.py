"""Read services: exam marks by version (IsDataAvailable)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02

- ix_exam_mark_version: IsDataAvailable reads the marks changed since a version, in version order.
"""
from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_exam_mark_version', 'exam_mark', ['version'])


def downgrade() -> None:
    op.drop_index('ix_exam_mark_version', table_name='exam_mark')
