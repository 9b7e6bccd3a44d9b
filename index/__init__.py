"""sayso retrieval library: documents -> passages -> dense + lexical indexes -> search."""
