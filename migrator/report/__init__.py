"""Renderers: plan, run and status reports as text (for people), JSON (for scripts) and markdown."""
