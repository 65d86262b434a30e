"""audit operator, certificate validity start, columns as long as the contract allows

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01

- request_audit: ``operator`` (the Student Records user behind a screen
  action or job) and ``chain_format`` (rows written before keep format v1).
- client_certificate: ``not_valid_before_utc``, so the registry can refuse a
  certificate that is not yet valid (rule 1004) whatever a proxy did.
- document orders: every text column at least as long as the published XSD
  allows (issue: a value the contract accepts must never fail to store).
- processed_request: replay rows of the PASISystem operations stored before
  this revision kept a JSON form this release no longer reads; they are
  removed (the exam-mark rows keep their XML form and still replay).
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

WIDENED = {
    "document_order": [("order_received_method", 20, 40), ("order_status", 20, 40),
                       ("payment_method", 40, 50)],
    "document_order_item": [("document_type", 20, 40), ("document_language", 20, 40),
                            ("process_expectation", 40, 50), ("address_lines", 400, 410),
                            ("postal_code", 20, 50), ("fax_number", 30, 50)],
}


def upgrade() -> None:
    with op.batch_alter_table('request_audit') as batch:
        batch.add_column(sa.Column('operator', sa.String(length=200), nullable=True))
        batch.add_column(sa.Column('chain_format', sa.String(length=4), nullable=False,
                                   server_default='v1'))
    with op.batch_alter_table('client_certificate') as batch:
        batch.add_column(sa.Column('not_valid_before_utc', sa.DateTime(), nullable=True))
    for table, columns in WIDENED.items():
        with op.batch_alter_table(table) as batch:
            for name, old, new in columns:
                batch.alter_column(name, type_=sa.String(length=new),
                                   existing_type=sa.String(length=old))
    op.execute("DELETE FROM processed_request WHERE operation <> 'SubmitDiplomaExamMark'")


def downgrade() -> None:
    for table, columns in WIDENED.items():
        with op.batch_alter_table(table) as batch:
            for name, old, new in columns:
                batch.alter_column(name, type_=sa.String(length=old),
                                   existing_type=sa.String(length=new))
    with op.batch_alter_table('client_certificate') as batch:
        batch.drop_column('not_valid_before_utc')
    with op.batch_alter_table('request_audit') as batch:
        batch.drop_column('chain_format')
        batch.drop_column('operator')
