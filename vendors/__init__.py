"""The procurement registry: vendors, offerings, model catalog, checklist and assessments."""
