"""Hand-written entries. Each R(...) is one deliberately written message or conversation.

R(kind, need_state, handoff, domain, style, why, content)
  kind: dispute | takeover | lockout | human | legal | safety | none | unclear
  content: str (single user message) or list[str] alternating user/assistant, starting and ending with user.
"""
ENTRIES = []


def R(kind, ns, ho, dom, style, why, content):
    ENTRIES.append(dict(kind=kind, ns=ns, ho=ho, dom=dom, style=style, why=why, content=content))
