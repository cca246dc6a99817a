"""Infrastructure that is not Rehabkart's domain: JSON, cursors, text folding, identifiers, secrets."""
