"""The security suite, run by CI on PostgreSQL (`make test-security` runs it alone).

- test_access_matrix.py: every persona against every API operation of the OpenAPI schema and
  every admin page of every registered model, held to the table in access.py.
- test_tamper.py: database edits behind the application's back, each refused by a trigger
  (PostgreSQL) or reported by verification, the anchor or the integrity sweep.
- test_signin.py: lockout (throttling) of the login page and the token endpoint, token
  hashing, expiry and revocation, idle sessions, CSP and Permissions-Policy.
- test_inputs.py: malformed input answered with a 4xx that names the problem.
- test_object_rules.py: rules on single objects (whose packet, whose pilot).
- Evidence files (content, polyglots, archives, macros): tests/vendors/test_filetypes.py, with
  each upload path in tests/vendors/test_evidence.py and tests/governance/test_benefits.py.
"""
