"""Pages (server-rendered), one module per feature; each is thin."""
