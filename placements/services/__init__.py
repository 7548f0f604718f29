"""Every change to independent placements, in three modules: ``providers``, ``contracts`` (with
cost lines, negotiation rounds and the penalty clause) and ``attendance`` (returns and
deductions); ``common`` holds what they share.

Keyword-only functions named ``<thing>_<verb>``, as in ``requests_app.services``. Each one:

1. checks the actor holds ``PLACEMENT_MANAGE`` (``NotPermitted``, 403) before it reads
   anything else;
2. opens one ``transaction.atomic()`` and re-reads the contract with ``select_for_update()``:
   the contract row is the lock every cost line, round, clause, return and deduction change
   takes, so two officers cannot both agree fees, or agree a line while another pushes the
   total over the panel's ceiling;
3. checks the transition table in ``placements.workflow`` (``InvalidTransition``, 409) and
   validates its input (``ValidationFailed``, 400, UK-English messages keyed by field);
4. changes the rows, recomputes the stored totals, and writes one ``PlacementEvent``. (A
   corrected return that resets an already decided deduction to pending writes a second event,
   ``deduction_reset``, so the trail shows the decision being undone.)

The panel's ceiling: whenever a contract is negotiating or active, the agreed annual cost (the
sum of the agreed, annualised cost lines) may not exceed the agreed annual ceiling of the
panel decision it follows. Going over needs a new panel decision.

Views, API actions, admin actions, commands and tasks all call these functions.
"""
