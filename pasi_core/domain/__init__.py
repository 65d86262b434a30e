"""Plain data and pure functions shared by several operations (no spyne, no SQLAlchemy)."""
