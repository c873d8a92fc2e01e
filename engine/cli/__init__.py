"""The `yibao` command line: argument parsing, exit codes, one module per group of commands."""
