"""The demo: everything built on the embedded DuckDB from the demo seeds (`make run`)."""
