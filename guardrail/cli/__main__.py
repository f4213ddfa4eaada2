"""`python -m guardrail.cli`: the command line."""

from guardrail.cli import main

raise SystemExit(main())
