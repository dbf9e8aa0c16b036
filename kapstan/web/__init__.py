"""The web console: server-rendered Jinja2 pages under /ui, htmx and SSE for live progress.

console      ``install``: mounts the pages and static files on the API app, security headers
common       the session caller, CSRF, rendering, HTML errors (shared by the page groups)
sessions     browser sessions (kept in the store), each with its CSRF token
routes       login, logout, the overview; includes apps, operations, catalog, auditlog
svg          a dependency graph as SVG from a layout (pure)
graphlayout  where the graph's boxes and edges go: Graphviz's answer read, or columns (pure)
dotlayout    runs Graphviz's dot for that layout (the Debian package graphviz)
sidebyside   two texts as side-by-side diff rows (pure)
static/      console.css; vendor/ holds htmx built from npm (web/package.json), not committed
"""
