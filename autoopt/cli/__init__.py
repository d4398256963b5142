"""The command line: one module per command, one error choke point in ``main``."""
