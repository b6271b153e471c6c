"""kizuna's benchmarks (DESIGN.md decision 9): each capability against the tool a user would
otherwise use, as ratios measured in one run. ``python -m bench.run`` runs them all."""
