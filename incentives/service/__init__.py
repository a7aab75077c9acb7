"""The payroll service: incentives over HTTP (FastAPI), with a real store.

What this package owns:
  - `models`: the service's tables (plan versions, datasets, runs and their payees' results, tokens,
    the audit log, webhooks and their deliveries) on their own SQLAlchemy metadata, with their own
    Alembic history (`migrations`, version table `service_alembic_version`) beside the ledger's;
  - `store`: opening a database (an SQLite file by default, PostgreSQL by URL), migrating it, and
    the reads and writes the routes make, each write one transaction with its audit row;
  - `schemas`: the request and response models (OpenAPI is the contract);
  - `auth`: API tokens (stored hashed) and what each role may do;
  - `worker`: running a period in a thread, off the event loop, through the ledger; webhooks;
  - `routes`: one small router per resource; `app`: the application factory.
"""
