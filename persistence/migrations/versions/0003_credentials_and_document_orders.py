"""credentials and document orders

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23

Students' addresses, official marks and credential achievements (reference data),
awarded credentials with their number sequence, document orders and items, and
the resumable bulk award-and-order runs.
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('bulk_award_run',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('started_utc', sa.DateTime(), nullable=False),
    sa.Column('finished_utc', sa.DateTime(), nullable=True),
    sa.Column('criteria', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bulk_award_run'))
    )
    op.create_table('document_order',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('billing_information_id', sa.Integer(), nullable=False),
    sa.Column('order_received_method', sa.String(length=20), nullable=False),
    sa.Column('order_status', sa.String(length=20), nullable=False),
    sa.Column('requestor_name', sa.String(length=200), nullable=True),
    sa.Column('order_placed_utc', sa.DateTime(), nullable=True),
    sa.Column('education_account_identifier', sa.String(length=50), nullable=True),
    sa.Column('education_account_organization', sa.String(length=6), nullable=True),
    sa.Column('payment_method', sa.String(length=40), nullable=True),
    sa.Column('payment_transaction_id', sa.String(length=100), nullable=True),
    sa.Column('is_deleted', sa.Boolean(), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.Column('created_utc', sa.DateTime(), nullable=False),
    sa.Column('updated_utc', sa.DateTime(), nullable=False),
    sa.Column('updated_by', sa.String(length=6), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_order'))
    )
    op.create_table('bulk_award_run_student',
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('asn', sa.String(length=9), nullable=False),
    sa.Column('credential_type', sa.String(length=20), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('credential_number', sa.String(length=10), nullable=True),
    sa.Column('document_order_id', sa.Integer(), nullable=True),
    sa.Column('rejections', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['run_id'], ['bulk_award_run.id'], name=op.f('fk_bulk_award_run_student_run_id_bulk_award_run')),
    sa.PrimaryKeyConstraint('run_id', 'position', name=op.f('pk_bulk_award_run_student')),
    sa.UniqueConstraint('run_id', 'asn', name='uq_bulk_award_run_student_asn')
    )
    op.create_table('credential_achievement',
    sa.Column('asn', sa.String(length=9), nullable=False),
    sa.Column('credential_type', sa.String(length=20), nullable=False),
    sa.Column('requirement_set', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.ForeignKeyConstraint(['asn'], ['student.asn'], name=op.f('fk_credential_achievement_asn_student')),
    sa.PrimaryKeyConstraint('asn', 'credential_type', 'requirement_set', name=op.f('pk_credential_achievement'))
    )
    op.create_table('document_order_item',
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('item_number', sa.Integer(), nullable=False),
    sa.Column('asn', sa.String(length=9), nullable=False),
    sa.Column('document_type', sa.String(length=20), nullable=False),
    sa.Column('credential_number', sa.String(length=10), nullable=True),
    sa.Column('delivery_method', sa.String(length=40), nullable=False),
    sa.Column('document_language', sa.String(length=20), nullable=False),
    sa.Column('process_expectation', sa.String(length=40), nullable=True),
    sa.Column('number_of_copies', sa.Integer(), nullable=False),
    sa.Column('amount_collected', sa.String(length=20), nullable=False),
    sa.Column('recipient_is_student', sa.Boolean(), nullable=False),
    sa.Column('recipient_name', sa.String(length=200), nullable=True),
    sa.Column('address_lines', sa.String(length=400), nullable=True),
    sa.Column('city', sa.String(length=100), nullable=True),
    sa.Column('province_state', sa.String(length=50), nullable=True),
    sa.Column('postal_code', sa.String(length=20), nullable=True),
    sa.Column('country', sa.String(length=100), nullable=True),
    sa.Column('fax_number', sa.String(length=30), nullable=True),
    sa.Column('control_schedule_id', sa.Integer(), nullable=True),
    sa.Column('provided_consent_for_school_release', sa.Boolean(), nullable=True),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.ForeignKeyConstraint(['asn'], ['student.asn'], name=op.f('fk_document_order_item_asn_student')),
    sa.ForeignKeyConstraint(['order_id'], ['document_order.id'], name=op.f('fk_document_order_item_order_id_document_order'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('order_id', 'item_number', name=op.f('pk_document_order_item'))
    )
    with op.batch_alter_table('document_order_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_order_item_asn'), ['asn'], unique=False)
        batch_op.create_index(batch_op.f('ix_document_order_item_credential_number'), ['credential_number'], unique=False)

    op.create_table('official_mark',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('asn', sa.String(length=9), nullable=False),
    sa.Column('course_code', sa.String(length=20), nullable=False),
    sa.Column('school_year', sa.Integer(), nullable=False),
    sa.Column('mark_value', sa.String(length=10), nullable=True),
    sa.Column('credits_awarded', sa.Integer(), nullable=False),
    sa.Column('is_ged', sa.Boolean(), nullable=False),
    sa.Column('is_deleted', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['asn'], ['student.asn'], name=op.f('fk_official_mark_asn_student')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_official_mark')),
    sa.UniqueConstraint('asn', 'course_code', 'school_year', name='uq_official_mark_natural_key')
    )
    with op.batch_alter_table('official_mark', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_official_mark_asn'), ['asn'], unique=False)

    op.create_table('student_address',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('asn', sa.String(length=9), nullable=False),
    sa.Column('address_lines', sa.String(length=400), nullable=False),
    sa.Column('city', sa.String(length=100), nullable=True),
    sa.Column('province_state', sa.String(length=50), nullable=True),
    sa.Column('postal_code', sa.String(length=20), nullable=True),
    sa.Column('country', sa.String(length=100), nullable=False),
    sa.Column('effective_date', sa.Date(), nullable=False),
    sa.Column('expiry_date', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['asn'], ['student.asn'], name=op.f('fk_student_address_asn_student')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_student_address')),
    sa.UniqueConstraint('asn', 'effective_date', name='uq_student_address_natural_key')
    )
    with op.batch_alter_table('student_address', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_student_address_asn'), ['asn'], unique=False)

    op.create_table('student_credential',
    sa.Column('credential_number', sa.String(length=10), nullable=False),
    sa.Column('asn', sa.String(length=9), nullable=False),
    sa.Column('credential_type', sa.String(length=20), nullable=False),
    sa.Column('requirement_set', sa.String(length=40), nullable=True),
    sa.Column('awarded_on_date', sa.Date(), nullable=False),
    sa.Column('school_year', sa.Integer(), nullable=False),
    sa.Column('awarded_last_name', sa.String(length=100), nullable=False),
    sa.Column('awarded_first_name', sa.String(length=100), nullable=True),
    sa.Column('awarded_middle_name', sa.String(length=100), nullable=True),
    sa.Column('is_deleted', sa.Boolean(), nullable=False),
    sa.Column('delete_reason', sa.String(length=200), nullable=True),
    sa.Column('legacy_credential_number', sa.String(length=40), nullable=True),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.Column('created_utc', sa.DateTime(), nullable=False),
    sa.Column('updated_by', sa.String(length=6), nullable=False),
    sa.ForeignKeyConstraint(['asn'], ['student.asn'], name=op.f('fk_student_credential_asn_student')),
    sa.PrimaryKeyConstraint('credential_number', name=op.f('pk_student_credential'))
    )
    with op.batch_alter_table('student_credential', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_student_credential_asn'), ['asn'], unique=False)

    with op.batch_alter_table('transcript_trigger', schema=None) as batch_op:
        batch_op.alter_column('course_code',
               existing_type=sa.VARCHAR(length=20),
               nullable=True)
    with op.batch_alter_table('code_value', schema=None) as batch_op:
        batch_op.alter_column('code', existing_type=sa.VARCHAR(length=20),
                              type_=sa.String(length=40), existing_nullable=False)


    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE SEQUENCE credential_number_seq AS BIGINT START 100000001")
    op.execute("INSERT INTO version_counter (name, value) VALUES ('credential_number', 100000000)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP SEQUENCE IF EXISTS credential_number_seq")
    op.execute("DELETE FROM version_counter WHERE name = 'credential_number'")
    with op.batch_alter_table('code_value', schema=None) as batch_op:
        batch_op.alter_column('code', existing_type=sa.String(length=40),
                              type_=sa.VARCHAR(length=20), existing_nullable=False)
    with op.batch_alter_table('transcript_trigger', schema=None) as batch_op:
        batch_op.alter_column('course_code',
               existing_type=sa.VARCHAR(length=20),
               nullable=False)

    with op.batch_alter_table('student_credential', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_student_credential_asn'))

    op.drop_table('student_credential')
    with op.batch_alter_table('student_address', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_student_address_asn'))

    op.drop_table('student_address')
    with op.batch_alter_table('official_mark', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_official_mark_asn'))

    op.drop_table('official_mark')
    with op.batch_alter_table('document_order_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_order_item_credential_number'))
        batch_op.drop_index(batch_op.f('ix_document_order_item_asn'))

    op.drop_table('document_order_item')
    op.drop_table('credential_achievement')
    op.drop_table('bulk_award_run_student')
    op.drop_table('document_order')
    op.drop_table('bulk_award_run')
