"""Repository scripts; a package so tests and benches can import the demo stream's generator."""
