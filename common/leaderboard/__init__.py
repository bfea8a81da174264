"""The benchmark: every paper's method on shared protocols (tracks), with uncertainty."""
