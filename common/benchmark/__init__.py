"""The benchmark (issue 12): every paper's method on shared protocols (tracks), with uncertainty."""
