"""Opinion monitoring: trend buckets, spike rules, explained alerts and their delivery."""
