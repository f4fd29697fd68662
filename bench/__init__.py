"""`make bench`: the product's speed claims as numbers anyone can reproduce (docs/benchmarks.md).

One module per benchmark (poll_cycle, pages, alert_latency, shared_budget, storage), each
with `env(quick)` (settings for its process) and `run(engine=, quick=, say=)` returning
table rows; `python -m bench` runs them and prints the table.
"""
