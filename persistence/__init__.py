"""The store: SQLAlchemy models, migrations, sessions and bulk repositories."""
