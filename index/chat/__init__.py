"""Chat: a conversation made into a retrieval query, retrieved passages as citable context,
and an extractive answer citing them."""
