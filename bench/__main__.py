"""`python -m bench`: every benchmark, one after the other, then one Markdown table."""

from bench.run_all import main

main()
