"""The issue-15 red-team suite: gate, evasion and fault attempts against both adapters.

`attempts` holds the attempt tables (data), `harness` runs them and counts what matters (tools
that actually ran, decisions looser than the plain request, handoffs lost, turns that raised);
the test modules assert each count, and ``tools/redteam.py`` prints the same counts as a table.
"""
