"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-23

Reference data, exam marks with components and their side-effect tables,
request audit rows, and the one PASICoreVersion sequence (a PostgreSQL
sequence; a counter row on SQLite).
"""
from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('code_value',
    sa.Column('code_table', sa.String(length=40), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('short_description', sa.String(length=100), nullable=False),
    sa.Column('description', sa.String(length=400), nullable=True),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('attributes', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('code_table', 'code', name=op.f('pk_code_value'))
    )
    op.create_table('diploma_exam',
    sa.Column('ref_id', sa.String(length=36), nullable=False),
    sa.Column('course_code', sa.String(length=20), nullable=False),
    sa.Column('course_name', sa.String(length=200), nullable=False),
    sa.Column('school_year', sa.Integer(), nullable=False),
    sa.Column('exam_period', sa.String(length=20), nullable=False),
    sa.Column('exam_language', sa.String(length=20), nullable=False),
    sa.Column('exam_type', sa.String(length=20), nullable=False),
    sa.Column('mark_format', sa.String(length=20), nullable=False),
    sa.Column('registration_deadline_utc', sa.DateTime(), nullable=False),
    sa.Column('rescore_deadline_date', sa.Date(), nullable=True),
    sa.Column('is_deleted', sa.Boolean(), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('ref_id', name=op.f('pk_diploma_exam'))
    )
    op.create_table('organization',
    sa.Column('code', sa.String(length=6), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('authority_code', sa.String(length=6), nullable=True),
    sa.ForeignKeyConstraint(['authority_code'], ['organization.code'], name=op.f('fk_organization_authority_code_organization')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_organization'))
    )
    op.create_table('request_audit',
    sa.Column('message_id', sa.String(length=36), nullable=False),
    sa.Column('received_utc', sa.DateTime(), nullable=False),
    sa.Column('endpoint', sa.String(length=40), nullable=False),
    sa.Column('operation', sa.String(length=80), nullable=True),
    sa.Column('organization_code', sa.String(length=20), nullable=True),
    sa.Column('client_name', sa.String(length=200), nullable=True),
    sa.Column('client_message_id', sa.String(length=50), nullable=True),
    sa.Column('remote_address', sa.String(length=64), nullable=True),
    sa.Column('outcome', sa.String(length=40), nullable=False),
    sa.Column('rule_id', sa.Integer(), nullable=True),
    sa.Column('record_count', sa.Integer(), nullable=False),
    sa.Column('accepted_count', sa.Integer(), nullable=False),
    sa.Column('rejected_count', sa.Integer(), nullable=False),
    sa.Column('duration_ms', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('message_id', name=op.f('pk_request_audit'))
    )
    with op.batch_alter_table('request_audit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_request_audit_received_utc'), ['received_utc'], unique=False)

    op.create_table('student',
    sa.Column('asn', sa.String(length=9), nullable=False),
    sa.Column('primary_asn', sa.String(length=9), nullable=True),
    sa.Column('is_deactivated', sa.Boolean(), nullable=False),
    sa.Column('legal_last_name', sa.String(length=100), nullable=False),
    sa.Column('legal_first_name', sa.String(length=100), nullable=True),
    sa.Column('legal_middle_name', sa.String(length=100), nullable=True),
    sa.Column('birth_date', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['primary_asn'], ['student.asn'], name=op.f('fk_student_primary_asn_student')),
    sa.PrimaryKeyConstraint('asn', name=op.f('pk_student'))
    )
    with op.batch_alter_table('student', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_student_primary_asn'), ['primary_asn'], unique=False)

    op.create_table('transcript_trigger',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('asn', sa.String(length=9), nullable=False),
    sa.Column('course_code', sa.String(length=20), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.Column('source', sa.String(length=40), nullable=False),
    sa.Column('source_ref_id', sa.String(length=36), nullable=False),
    sa.Column('created_utc', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transcript_trigger'))
    )
    with op.batch_alter_table('transcript_trigger', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transcript_trigger_asn'), ['asn'], unique=False)

    op.create_table('version_counter',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_version_counter'))
    )
    op.create_table('diploma_exam_component',
    sa.Column('exam_ref_id', sa.String(length=36), nullable=False),
    sa.Column('component_code', sa.String(length=20), nullable=False),
    sa.Column('name_english', sa.String(length=200), nullable=False),
    sa.Column('name_french', sa.String(length=200), nullable=True),
    sa.Column('weight', sa.Integer(), nullable=True),
    sa.Column('is_mark_reportable', sa.Boolean(), nullable=False),
    sa.Column('is_deleted', sa.Boolean(), nullable=False),
    sa.Column('scheduled_utc', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['exam_ref_id'], ['diploma_exam.ref_id'], name=op.f('fk_diploma_exam_component_exam_ref_id_diploma_exam')),
    sa.PrimaryKeyConstraint('exam_ref_id', 'component_code', name=op.f('pk_diploma_exam_component'))
    )
    op.create_table('registration_request',
    sa.Column('ref_id', sa.String(length=36), nullable=False),
    sa.Column('asn', sa.String(length=9), nullable=False),
    sa.Column('status', sa.String(length=40), nullable=False),
    sa.Column('is_deleted', sa.Boolean(), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['asn'], ['student.asn'], name=op.f('fk_registration_request_asn_student')),
    sa.PrimaryKeyConstraint('ref_id', name=op.f('pk_registration_request'))
    )
    with op.batch_alter_table('registration_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_registration_request_asn'), ['asn'], unique=False)

    op.create_table('school_enrolment',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('asn', sa.String(length=9), nullable=False),
    sa.Column('school_code', sa.String(length=6), nullable=False),
    sa.Column('school_year', sa.Integer(), nullable=False),
    sa.Column('grade', sa.String(length=10), nullable=True),
    sa.ForeignKeyConstraint(['asn'], ['student.asn'], name=op.f('fk_school_enrolment_asn_student')),
    sa.ForeignKeyConstraint(['school_code'], ['organization.code'], name=op.f('fk_school_enrolment_school_code_organization')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_school_enrolment')),
    sa.UniqueConstraint('asn', 'school_code', 'school_year', name='uq_school_enrolment_natural_key')
    )
    with op.batch_alter_table('school_enrolment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_school_enrolment_asn'), ['asn'], unique=False)

    op.create_table('student_activity',
    sa.Column('asn', sa.String(length=9), nullable=False),
    sa.Column('school_year', sa.Integer(), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.Column('last_updated_utc', sa.DateTime(), nullable=False),
    sa.Column('updated_by', sa.String(length=6), nullable=False),
    sa.ForeignKeyConstraint(['asn'], ['student.asn'], name=op.f('fk_student_activity_asn_student')),
    sa.PrimaryKeyConstraint('asn', name=op.f('pk_student_activity'))
    )
    op.create_table('waived_fee',
    sa.Column('ref_id', sa.String(length=36), nullable=False),
    sa.Column('asn', sa.String(length=9), nullable=False),
    sa.Column('course_code', sa.String(length=20), nullable=False),
    sa.Column('expiry_school_year', sa.Integer(), nullable=False),
    sa.Column('expiry_exam_period', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=True),
    sa.Column('is_used', sa.Boolean(), nullable=False),
    sa.Column('is_deleted', sa.Boolean(), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['asn'], ['student.asn'], name=op.f('fk_waived_fee_asn_student')),
    sa.PrimaryKeyConstraint('ref_id', name=op.f('pk_waived_fee'))
    )
    with op.batch_alter_table('waived_fee', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_waived_fee_asn'), ['asn'], unique=False)

    op.create_table('exam_mark',
    sa.Column('ref_id', sa.String(length=36), nullable=False),
    sa.Column('asn', sa.String(length=9), nullable=False),
    sa.Column('exam_ref_id', sa.String(length=36), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('mark_value', sa.String(length=10), nullable=True),
    sa.Column('is_rescored', sa.Boolean(), nullable=False),
    sa.Column('is_deleted', sa.Boolean(), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.Column('registration_request_ref_id', sa.String(length=36), nullable=True),
    sa.Column('asn_set_by_linking', sa.Boolean(), nullable=False),
    sa.Column('created_utc', sa.DateTime(), nullable=False),
    sa.Column('updated_utc', sa.DateTime(), nullable=False),
    sa.Column('updated_by', sa.String(length=6), nullable=False),
    sa.ForeignKeyConstraint(['asn'], ['student.asn'], name=op.f('fk_exam_mark_asn_student')),
    sa.ForeignKeyConstraint(['exam_ref_id'], ['diploma_exam.ref_id'], name=op.f('fk_exam_mark_exam_ref_id_diploma_exam')),
    sa.ForeignKeyConstraint(['registration_request_ref_id'], ['registration_request.ref_id'], name=op.f('fk_exam_mark_registration_request_ref_id_registration_request')),
    sa.PrimaryKeyConstraint('ref_id', name=op.f('pk_exam_mark'))
    )
    with op.batch_alter_table('exam_mark', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exam_mark_asn'), ['asn'], unique=False)
        batch_op.create_index(batch_op.f('ix_exam_mark_exam_ref_id'), ['exam_ref_id'], unique=False)

    op.create_table('exam_sitting',
    sa.Column('ref_id', sa.String(length=36), nullable=False),
    sa.Column('exam_ref_id', sa.String(length=36), nullable=False),
    sa.Column('component_code', sa.String(length=20), nullable=False),
    sa.Column('writing_centre_code', sa.String(length=6), nullable=True),
    sa.Column('location_name', sa.String(length=200), nullable=False),
    sa.Column('scheduled_utc', sa.DateTime(), nullable=True),
    sa.Column('student_capacity', sa.Integer(), nullable=True),
    sa.Column('is_special', sa.Boolean(), nullable=False),
    sa.Column('is_deleted', sa.Boolean(), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['exam_ref_id', 'component_code'], ['diploma_exam_component.exam_ref_id', 'diploma_exam_component.component_code'], name='fk_exam_sitting_component'),
    sa.ForeignKeyConstraint(['writing_centre_code'], ['organization.code'], name=op.f('fk_exam_sitting_writing_centre_code_organization')),
    sa.PrimaryKeyConstraint('ref_id', name=op.f('pk_exam_sitting'))
    )
    with op.batch_alter_table('exam_sitting', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exam_sitting_exam_ref_id'), ['exam_ref_id'], unique=False)

    op.create_table('exam_mark_component',
    sa.Column('exam_mark_ref_id', sa.String(length=36), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('sitting_ref_id', sa.String(length=36), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('mark_value', sa.String(length=10), nullable=True),
    sa.Column('mark_format', sa.String(length=20), nullable=True),
    sa.Column('maximum_mark', sa.String(length=10), nullable=True),
    sa.Column('form_id', sa.String(length=50), nullable=True),
    sa.Column('supplied_contact_name', sa.String(length=100), nullable=True),
    sa.ForeignKeyConstraint(['exam_mark_ref_id'], ['exam_mark.ref_id'], name=op.f('fk_exam_mark_component_exam_mark_ref_id_exam_mark'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sitting_ref_id'], ['exam_sitting.ref_id'], name=op.f('fk_exam_mark_component_sitting_ref_id_exam_sitting')),
    sa.PrimaryKeyConstraint('exam_mark_ref_id', 'position', name=op.f('pk_exam_mark_component'))
    )
    with op.batch_alter_table('exam_mark_component', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exam_mark_component_sitting_ref_id'), ['sitting_ref_id'], unique=False)

    op.create_table('registration_fee',
    sa.Column('exam_mark_ref_id', sa.String(length=36), nullable=False),
    sa.Column('waived_fee_ref_id', sa.String(length=36), nullable=False),
    sa.Column('fee_type', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['exam_mark_ref_id'], ['exam_mark.ref_id'], name=op.f('fk_registration_fee_exam_mark_ref_id_exam_mark')),
    sa.ForeignKeyConstraint(['waived_fee_ref_id'], ['waived_fee.ref_id'], name=op.f('fk_registration_fee_waived_fee_ref_id_waived_fee')),
    sa.PrimaryKeyConstraint('exam_mark_ref_id', name=op.f('pk_registration_fee'))
    )
    with op.batch_alter_table('registration_fee', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_registration_fee_waived_fee_ref_id'), ['waived_fee_ref_id'], unique=False)

    op.create_table('rescore_request',
    sa.Column('ref_id', sa.String(length=36), nullable=False),
    sa.Column('exam_mark_ref_id', sa.String(length=36), nullable=False),
    sa.Column('payment_status', sa.String(length=40), nullable=False),
    sa.Column('consent_status', sa.String(length=40), nullable=False),
    sa.Column('is_cancelled', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['exam_mark_ref_id'], ['exam_mark.ref_id'], name=op.f('fk_rescore_request_exam_mark_ref_id_exam_mark')),
    sa.PrimaryKeyConstraint('ref_id', name=op.f('pk_rescore_request'))
    )
    with op.batch_alter_table('rescore_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rescore_request_exam_mark_ref_id'), ['exam_mark_ref_id'], unique=False)



    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE SEQUENCE pasi_core_version_seq AS BIGINT START 1")
    op.execute("INSERT INTO version_counter (name, value) VALUES ('pasi_core_version', 0)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP SEQUENCE IF EXISTS pasi_core_version_seq")
    with op.batch_alter_table('rescore_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rescore_request_exam_mark_ref_id'))

    op.drop_table('rescore_request')
    with op.batch_alter_table('registration_fee', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_registration_fee_waived_fee_ref_id'))

    op.drop_table('registration_fee')
    with op.batch_alter_table('exam_mark_component', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exam_mark_component_sitting_ref_id'))

    op.drop_table('exam_mark_component')
    with op.batch_alter_table('exam_sitting', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exam_sitting_exam_ref_id'))

    op.drop_table('exam_sitting')
    with op.batch_alter_table('exam_mark', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exam_mark_exam_ref_id'))
        batch_op.drop_index(batch_op.f('ix_exam_mark_asn'))

    op.drop_table('exam_mark')
    with op.batch_alter_table('waived_fee', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_waived_fee_asn'))

    op.drop_table('waived_fee')
    op.drop_table('student_activity')
    with op.batch_alter_table('school_enrolment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_school_enrolment_asn'))

    op.drop_table('school_enrolment')
    with op.batch_alter_table('registration_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_registration_request_asn'))

    op.drop_table('registration_request')
    op.drop_table('diploma_exam_component')
    op.drop_table('version_counter')
    with op.batch_alter_table('transcript_trigger', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_transcript_trigger_asn'))

    op.drop_table('transcript_trigger')
    with op.batch_alter_table('student', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_student_primary_asn'))

    op.drop_table('student')
    with op.batch_alter_table('request_audit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_request_audit_received_utc'))

    op.drop_table('request_audit')
    op.drop_table('organization')
    op.drop_table('diploma_exam')
    op.drop_table('code_value')
