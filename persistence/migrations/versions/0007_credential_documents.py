"""Credential documents: files, errors, status history, print jobs and the outbox

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02

- document_order_item gains its processing state: status change reason, special handling, file
  generation, processed and sent times, print job and mailing sequence number (status indexed).
- print_job and print_job_file: what the Physical Print Job Processor gathered, and its delivery.
- document_file: Document Order Item Files (PDFs on disk, by path and SHA-256), one per item,
  generation and kind.
- document_error: why an item went on System Hold.
- document_item_status_change: every status an item went through.
- outbox_message: notifications (myPass, Student Records), once per event key.
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

ITEM = ['document_order_item.order_id', 'document_order_item.item_number']


def upgrade() -> None:
    op.create_table(
        'print_job',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('created_utc', sa.DateTime(), nullable=False),
        sa.Column('item_count', sa.Integer(), nullable=False),
        sa.Column('envelopes_canada', sa.Integer(), nullable=False),
        sa.Column('envelopes_united_states', sa.Integer(), nullable=False),
        sa.Column('envelopes_international', sa.Integer(), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_utc', sa.DateTime(), nullable=True),
        sa.Column('delivered_utc', sa.DateTime(), nullable=True),
        sa.Column('last_error', sa.String(length=400), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_print_job')),
    )
    op.create_index(op.f('ix_print_job_status'), 'print_job', ['status'])
    op.create_table(
        'print_job_file',
        sa.Column('job_id', sa.Integer(), nullable=False),
        sa.Column('path', sa.String(length=300), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('size', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['job_id'], ['print_job.id'], ondelete='CASCADE',
                                name=op.f('fk_print_job_file_job_id_print_job')),
        sa.PrimaryKeyConstraint('job_id', 'path', name=op.f('pk_print_job_file')),
    )
    with op.batch_alter_table('document_order_item') as batch:
        batch.add_column(sa.Column('status_change_reason', sa.String(length=100), nullable=True))
        batch.add_column(sa.Column('special_handling', sa.String(length=20), nullable=True))
        batch.add_column(sa.Column('file_generation', sa.Integer(), server_default='0', nullable=False))
        batch.add_column(sa.Column('processed_utc', sa.DateTime(), nullable=True))
        batch.add_column(sa.Column('sent_utc', sa.DateTime(), nullable=True))
        batch.add_column(sa.Column('print_job_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('mailing_sequence_number', sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f('fk_document_order_item_print_job_id_print_job'), 'print_job',
                                 ['print_job_id'], ['id'])
        batch.create_index(op.f('ix_document_order_item_status'), ['status'])
        batch.create_index(op.f('ix_document_order_item_print_job_id'), ['print_job_id'])
    op.create_table(
        'document_file',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('order_id', sa.Integer(), nullable=False),
        sa.Column('item_number', sa.Integer(), nullable=False),
        sa.Column('generation', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('path', sa.String(length=300), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('size', sa.BigInteger(), nullable=False),
        sa.Column('created_utc', sa.DateTime(), nullable=False),
        sa.Column('is_deleted', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['order_id', 'item_number'], ITEM, ondelete='CASCADE', name='fk_document_file_item'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_document_file')),
        sa.UniqueConstraint('order_id', 'item_number', 'generation', 'kind', name='uq_document_file_item_kind'),
    )
    op.create_table(
        'document_error',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('order_id', sa.Integer(), nullable=False),
        sa.Column('item_number', sa.Integer(), nullable=False),
        sa.Column('generation', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=40), nullable=False),
        sa.Column('description', sa.String(length=300), nullable=False),
        sa.Column('created_utc', sa.DateTime(), nullable=False),
        sa.Column('is_deleted', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['order_id', 'item_number'], ITEM, ondelete='CASCADE', name='fk_document_error_item'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_document_error')),
    )
    op.create_table(
        'document_item_status_change',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('order_id', sa.Integer(), nullable=False),
        sa.Column('item_number', sa.Integer(), nullable=False),
        sa.Column('from_status', sa.String(length=30), nullable=True),
        sa.Column('to_status', sa.String(length=30), nullable=False),
        sa.Column('reason', sa.String(length=100), nullable=True),
        sa.Column('changed_by', sa.String(length=200), nullable=False),
        sa.Column('changed_utc', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['order_id', 'item_number'], ITEM, ondelete='CASCADE',
                                name='fk_document_item_status_change_item'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_document_item_status_change')),
    )
    op.create_table(
        'outbox_message',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('kind', sa.String(length=60), nullable=False),
        sa.Column('audience', sa.String(length=40), nullable=False),
        sa.Column('event_key', sa.String(length=160), nullable=False),
        sa.Column('asn', sa.String(length=9), nullable=True),
        sa.Column('payload', sa.Text(), nullable=False),
        sa.Column('created_utc', sa.DateTime(), nullable=False),
        sa.Column('delivered_utc', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_message')),
        sa.UniqueConstraint('event_key', name=op.f('uq_outbox_message_event_key')),
    )
    op.create_index(op.f('ix_outbox_message_delivered_utc'), 'outbox_message', ['delivered_utc'])


def downgrade() -> None:
    op.drop_table('outbox_message')
    op.drop_table('document_item_status_change')
    op.drop_table('document_error')
    op.drop_table('document_file')
    with op.batch_alter_table('document_order_item') as batch:
        batch.drop_index(op.f('ix_document_order_item_print_job_id'))
        batch.drop_index(op.f('ix_document_order_item_status'))
        batch.drop_constraint(op.f('fk_document_order_item_print_job_id_print_job'), type_='foreignkey')
        for column in ('mailing_sequence_number', 'print_job_id', 'sent_utc', 'processed_utc', 'file_generation',
                       'special_handling', 'status_change_reason'):
            batch.drop_column(column)
    op.drop_table('print_job_file')
    op.drop_table('print_job')
