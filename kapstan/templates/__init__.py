"""Templates on disk: reading a directory into content, parsing content into a Template.

- ``loader.read_template_dir(path) -> dict[str, str]``   (file I/O)
- ``loader.parse_template(files) -> Template``           (pure; re-exported from parser)
- ``exporter.write_template_dir(files, path)``           (file I/O)
- ``content.template_digest(files) -> str``              (pure)
"""
