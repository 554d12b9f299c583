"""`make bench`: apitwin measured side by side with the peer it is compared to, in one run."""
