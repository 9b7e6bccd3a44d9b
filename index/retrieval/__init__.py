"""Retrieval: dense (FAISS) and lexical (BM25) scoring, fusion, best units, feedback, confidence."""
