"""eenplan: one shared analysis, one plan and one future perspective per family."""
