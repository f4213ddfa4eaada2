"""``python -m guardrail``: the `guardrail` command, where its script is not on PATH."""

from guardrail.cli import main

raise SystemExit(main())
