"""Student Records users, their sessions, and background jobs

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01

- staff_user, staff_permission: who may sign in to the Student Records screens (argon2 password
  hashes, lockout counters) and with which PASIprep permissions.
- staff_session: signed-in browsers, by the SHA-256 of their token.
- background_job: work the job runner does outside web requests (one job per bulk run).
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'staff_user',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('user_name', sa.String(length=100), nullable=False),
        sa.Column('full_name', sa.String(length=200), nullable=False),
        sa.Column('password_hash', sa.String(length=200), nullable=False),
        sa.Column('is_enabled', sa.Boolean(), nullable=False),
        sa.Column('failed_sign_ins', sa.Integer(), nullable=False),
        sa.Column('locked_until_utc', sa.DateTime(), nullable=True),
        sa.Column('created_utc', sa.DateTime(), nullable=False),
        sa.Column('last_sign_in_utc', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_user')),
        sa.UniqueConstraint('user_name', name=op.f('uq_staff_user_user_name')),
    )
    op.create_table(
        'staff_permission',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('permission', sa.String(length=60), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['staff_user.id'], ondelete='CASCADE',
                                name=op.f('fk_staff_permission_user_id_staff_user')),
        sa.PrimaryKeyConstraint('user_id', 'permission', name=op.f('pk_staff_permission')),
    )
    op.create_table(
        'staff_session',
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('created_utc', sa.DateTime(), nullable=False),
        sa.Column('last_seen_utc', sa.DateTime(), nullable=False),
        sa.Column('expires_utc', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['staff_user.id'], ondelete='CASCADE',
                                name=op.f('fk_staff_session_user_id_staff_user')),
        sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_staff_session')),
    )
    op.create_index(op.f('ix_staff_session_user_id'), 'staff_session', ['user_id'])
    op.create_index(op.f('ix_staff_session_expires_utc'), 'staff_session', ['expires_utc'])
    op.create_table(
        'background_job',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('subject_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('runner', sa.String(length=200), nullable=True),
        sa.Column('heartbeat_utc', sa.DateTime(), nullable=True),
        sa.Column('created_utc', sa.DateTime(), nullable=False),
        sa.Column('started_utc', sa.DateTime(), nullable=True),
        sa.Column('finished_utc', sa.DateTime(), nullable=True),
        sa.Column('error', sa.String(length=400), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_background_job')),
        sa.UniqueConstraint('kind', 'subject_id', name='uq_background_job_subject'),
    )
    op.create_index(op.f('ix_background_job_status'), 'background_job', ['status'])


def downgrade() -> None:
    op.drop_index(op.f('ix_background_job_status'), table_name='background_job')
    op.drop_table('background_job')
    op.drop_index(op.f('ix_staff_session_expires_utc'), table_name='staff_session')
    op.drop_index(op.f('ix_staff_session_user_id'), table_name='staff_session')
    op.drop_table('staff_session')
    op.drop_table('staff_permission')
    op.drop_table('staff_user')
