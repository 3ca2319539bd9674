#!/usr/bin/env python3
"""docs/api.md must show each example verbatim (the files the tests build and run)."""
import sys

doc, example = open(sys.argv[1]).read(), open(sys.argv[2]).read()
if example.strip() not in doc:
    print(f"{sys.argv[1]} does not contain {sys.argv[2]} verbatim: update the doc's code block")
    sys.exit(1)
print(f"{sys.argv[2]} in docs: 1 passed, 0 failed")
