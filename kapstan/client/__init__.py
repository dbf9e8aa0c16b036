"""A client of the Kapstan server's HTTP API (``http.ApiClient``); the CLI's remote backend."""
