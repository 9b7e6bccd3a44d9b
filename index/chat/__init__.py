"""Chat: a conversation made into a retrieval query, and retrieved passages as citable context."""
