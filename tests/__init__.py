"""The test suite: one package per area, so test modules may share a name across areas."""
