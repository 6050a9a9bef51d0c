"""The dialog-flow engine and the YAML flows the content team writes (see issue 8)."""
