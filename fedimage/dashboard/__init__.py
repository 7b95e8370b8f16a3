"""The project layer's pages and API: the initiative as the dashboard shows it.

Each page combines the initiative's domain with what the apps above it know (tracked issues,
image health, meetings), so it lives here, above all of them; the apps themselves never import
upward.
"""
