"""client registry, audit chain, replay

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23

The registered client certificates (PASI rules 1001-1008), the hash-chained
audit log (existing audit rows are linked into the chain in time order), kept
payloads, and the processed-request table behind replay-safe resubmission.
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_chain_head',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('last_sequence', sa.BigInteger(), nullable=False),
    sa.Column('last_hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_chain_head'))
    )
    op.create_table('pasi_client',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('is_enabled', sa.Boolean(), nullable=False),
    sa.Column('created_utc', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pasi_client')),
    sa.UniqueConstraint('name', name=op.f('uq_pasi_client_name'))
    )
    op.create_table('processed_request',
    sa.Column('client_name', sa.String(length=200), nullable=False),
    sa.Column('client_message_id', sa.String(length=50), nullable=False),
    sa.Column('operation', sa.String(length=80), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('message_id', sa.String(length=36), nullable=False),
    sa.Column('response_body', sa.LargeBinary(), nullable=False),
    sa.Column('created_utc', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('client_name', 'client_message_id', name=op.f('pk_processed_request'))
    )
    with op.batch_alter_table('processed_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_processed_request_created_utc'), ['created_utc'], unique=False)

    op.create_table('request_payload',
    sa.Column('message_id', sa.String(length=36), nullable=False),
    sa.Column('received_utc', sa.DateTime(), nullable=False),
    sa.Column('request_body', sa.LargeBinary(), nullable=False),
    sa.Column('response_body', sa.LargeBinary(), nullable=True),
    sa.PrimaryKeyConstraint('message_id', name=op.f('pk_request_payload'))
    )
    with op.batch_alter_table('request_payload', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_request_payload_received_utc'), ['received_utc'], unique=False)

    op.create_table('client_certificate',
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=400), nullable=False),
    sa.Column('not_valid_after_utc', sa.DateTime(), nullable=False),
    sa.Column('is_enabled', sa.Boolean(), nullable=False),
    sa.Column('registered_utc', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['pasi_client.id'], name=op.f('fk_client_certificate_client_id_pasi_client')),
    sa.PrimaryKeyConstraint('fingerprint', name=op.f('pk_client_certificate'))
    )
    with op.batch_alter_table('client_certificate', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_client_certificate_client_id'), ['client_id'], unique=False)

    op.create_table('client_organization',
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('organization_code', sa.String(length=6), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['pasi_client.id'], name=op.f('fk_client_organization_client_id_pasi_client')),
    sa.ForeignKeyConstraint(['organization_code'], ['organization.code'], name=op.f('fk_client_organization_organization_code_organization')),
    sa.PrimaryKeyConstraint('client_id', 'organization_code', name=op.f('pk_client_organization'))
    )
    op.create_table('client_role',
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=60), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['pasi_client.id'], name=op.f('fk_client_role_client_id_pasi_client')),
    sa.PrimaryKeyConstraint('client_id', 'role', name=op.f('pk_client_role'))
    )
    with op.batch_alter_table('request_audit', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sequence', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('request_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('record_outcomes', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('previous_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('row_hash', sa.String(length=64), nullable=True))
    last_sequence, last_hash = _link_existing_audit_rows()
    with op.batch_alter_table('request_audit', schema=None) as batch_op:
        batch_op.alter_column('sequence', existing_type=sa.BigInteger(), nullable=False)
        batch_op.alter_column('previous_hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column('row_hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_request_audit_sequence'), ['sequence'])
    op.execute(sa.text("INSERT INTO audit_chain_head (id, last_sequence, last_hash) "
                       "VALUES (1, :sequence, :hash)").bindparams(sequence=last_sequence, hash=last_hash))


def _link_existing_audit_rows() -> tuple[int, str]:
    """Audit rows written before the chain existed join it in time order."""
    from persistence.audit_chain import GENESIS_HASH, link_hash

    bind = op.get_bind()
    audit = sa.Table("request_audit", sa.MetaData(), autoload_with=bind)  # typed: datetimes as datetimes
    rows = bind.execute(sa.select(audit).order_by(audit.c.received_utc, audit.c.message_id)).mappings().all()
    previous = GENESIS_HASH
    for sequence, row in enumerate(rows, start=1):
        row = dict(row, sequence=sequence)
        row_hash = link_hash(previous, row)
        bind.execute(sa.text("UPDATE request_audit SET sequence = :sequence, previous_hash = :previous, "
                             "row_hash = :row_hash WHERE message_id = :message_id"),
                     {"sequence": sequence, "previous": previous, "row_hash": row_hash,
                      "message_id": row["message_id"]})
        previous = row_hash
    return len(rows), previous



def downgrade() -> None:
    with op.batch_alter_table('request_audit', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_request_audit_sequence'), type_='unique')
        batch_op.drop_column('row_hash')
        batch_op.drop_column('previous_hash')
        batch_op.drop_column('record_outcomes')
        batch_op.drop_column('request_hash')
        batch_op.drop_column('sequence')

    op.drop_table('client_role')
    op.drop_table('client_organization')
    with op.batch_alter_table('client_certificate', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_client_certificate_client_id'))

    op.drop_table('client_certificate')
    with op.batch_alter_table('request_payload', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_request_payload_received_utc'))

    op.drop_table('request_payload')
    with op.batch_alter_table('processed_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_processed_request_created_utc'))

    op.drop_table('processed_request')
    op.drop_table('pasi_client')
    op.drop_table('audit_chain_head')
