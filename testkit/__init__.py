"""Test support shared by tests/ and bench/ (not part of the runtime package, not installed):
the fixture graphs (``testkit.data``) and the throwaway Virtuoso launcher (``testkit.virtuoso``)."""
