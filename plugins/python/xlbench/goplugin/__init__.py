"""Code generated from plugins/python/proto/xlbench/goplugin by `make proto`:
the services go-plugin's host calls on every plugin (health, controller,
stdio)."""
