"""One module per ``trendwatch`` sub-command; each exports one click command."""

__all__: list[str] = []
