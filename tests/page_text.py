"""What a person reads on a rendered page: its tables' cells and its parts' text, so tests
compare the figures a page shows (formatted for people) with the numbers behind them."""

from html.parser import HTMLParser


class PageText(HTMLParser):
    """What a person reads on the page: the cells of each table and the text of each part,
    by the id of the innermost section or table around them."""

    def __init__(self, html: str):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.text: dict[str, str] = {}
        self._open: list[str | None] = []
        self._cell: list[str] | None = None
        self.feed(html)
        self.close()

    @property
    def _id(self) -> str | None:
        return next((i for i in reversed(self._open) if i), None)

    def handle_starttag(self, tag, attrs):
        if tag in ("section", "table"):
            self._open.append(dict(attrs).get("id"))
        elif tag == "tr" and self._id:
            self.tables.setdefault(self._id, []).append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("section", "table"):
            self._open.pop()
        elif tag in ("td", "th") and self._cell is not None and self._id:
            self.tables[self._id][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        for part in filter(None, self._open):
            self.text[part] = self.text.get(part, "") + data

    def body(self, part: str) -> list[list[str]]:
        """The rows of a table under its header row."""
        return self.tables[part][1:]
