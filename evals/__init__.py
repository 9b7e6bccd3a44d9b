"""sayso evaluation harness: question sets, BEIR/TREC data, metrics, run files, reports."""
