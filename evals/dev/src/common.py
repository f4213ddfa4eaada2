"""Shorthand used by the hand-written item files.

Each item is a tuple: (style, need, handoff, why, text)
  text is a str (single user message) or a list of str alternating
  user / assistant / user ... (multi-turn, always ends with a user turn).
"""
T, F, N = True, False, None
AR, BI, IN, HT, PC, AC, OT = ("access_restore", "billing", "incident", "how_to",
                              "policy_compliance", "account_change", "other")
