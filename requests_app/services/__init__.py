"""Every change to an EHC needs-assessment request, in the module a person would look in:

- ``children``: a child's record (finding possible duplicates, moving a child to another
  district);
- ``lifecycle``: the request from creation to closing (create, assign, the provision
  evaluation, the decisions whether to assess and to issue, the plan, withdraw and reopen, the
  placement panel's entries on the timeline, recording a view);
- ``advice``: advice requested during the assessment (regs 6 and 8) and the clock exceptions
  that move a deadline (regs 5(4), 8(2), 10(4), 13(3));
- ``common``: what they share (capability and transition checks, validation, the row lock, the
  event row and the stored clocks).

Keyword-only functions named ``<thing>_<verb>``. Each one:

1. checks the actor's capability (``NotPermitted``, 403) before it reads anything else;
2. opens one ``transaction.atomic()`` and re-reads the request row with
   ``select_for_update()``, so two officers acting at once are serialised and the second sees
   the first one's status (``InvalidTransition``, 409) instead of overwriting it;
3. checks the transition table in ``workflow`` and validates its input (``ValidationFailed``,
   400, with UK-English messages keyed by field);
4. changes the rows, recomputes the stored clocks, and writes exactly one ``RequestEvent``.

Each returns the updated object, freshly read: the instance a caller passed in is not
modified. Views, API actions, admin actions, commands and tasks all call these functions,
importing each from the module that owns it (this package re-exports nothing).
"""
