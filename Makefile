.PHONY: demo test bench
demo:  ## set up and serve the dashboard on the demo shop at http://127.0.0.1:8000
	bash scripts/demo.sh
test:  ## set up and run the whole test suite
	bash scripts/test.sh
bench:  ## run the benchmarks (see bench/README.md)
	uv run --frozen python -m bench.run
