"""Policy documents: load, schema-check, model, validate, resolve what is in force, fingerprint, bundle."""
