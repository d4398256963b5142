"""The decision core: pure functions over frozen values. No I/O, no clock, no global RNG."""
