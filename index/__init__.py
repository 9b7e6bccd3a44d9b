"""sayso retrieval library: documents -> passages (+ quotes) -> dense + lexical indexes -> search."""
