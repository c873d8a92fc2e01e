"""The HTTP service: several pinned policy sets answering the contract's case and result as JSON under /v1."""
