"""Request body parsers: a body the parser cannot read is the client's 400, never a 500."""

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class SafeJSONParser(JSONParser):
    """DRF's JSON parser, with bodies nested too deep for the decoder refused by name.

    Python's json module recurses once per nesting level, so a body of a few thousand "["
    raises RecursionError, which DRF lets through as a 500 (on any endpoint, the anonymous
    token endpoint included).
    """

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as error:
            raise ParseError("JSON parse error - the body is nested too deeply.") from error
