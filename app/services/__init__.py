"""Domain rules. Routes call these; only services commit.

One contract for side effects:

- A service function a route calls is one transaction: it commits before it returns.
- A step that services compose into their own transaction is named ``add_…`` and never
  commits ("the caller commits"): ``audit.add``, ``audit.add_for_participant``,
  ``participants.add_participant``, ``documents.add_shared_documents``,
  ``documents.add_story_document``, ``consent.add_legal_ground``,
  ``consent.add_legal_ground_withdrawal``.
- A change that can take access away takes the ``AccessBus`` (a required argument) and
  publishes the case after its commit, so live connections follow at once.

Services import each other in one direction, down to ``membership.py`` (who takes part, role
labels and role sets), which imports no other service. They never import the web layer.
"""
