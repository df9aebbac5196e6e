"""Spreadsheets and imports (SPEC 3.3, XZ-12 批量上传): templates generated from the catalogue, files read and
checked row by row (in a second process for large files), and stored chunk by chunk through the same
pipeline as `submitRecords`. Stands on resolvers, store and domain; gateway/ keeps the HTTP route
(`upload.py`) and the command line (`spreadsheet_cli.py`)."""
