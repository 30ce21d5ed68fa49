"""API pagination: page-number pages with a client-chosen size, bounded."""

from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    """?page=N&page_size=M, at most 500 a page so one request cannot dump a table."""

    page_size_query_param = "page_size"
    max_page_size = 500
