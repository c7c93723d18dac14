"""The post-mortem report: one self-contained HTML file, or a Markdown summary, of a whole run.

`history` collects what happened over time while a recording is played through the headless loop,
`facts` turns the final snapshot plus that history into typed values (`Report`), `gantt` lays the
timeline out as numbers, and `render` writes them through autoescaping Jinja2 templates.
"""
