"""The audit trail, exported as CSV."""

import csv
import json

from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, StreamingHttpResponse

from governance.selectors.audit import audit_entries


class _Echo:
    """A file-like object whose write returns the line, for streaming CSV."""

    def write(self, value: str) -> str:
        return value


@permission_required("auditlog.view_logentry", raise_exception=True)
def audit_export(request: HttpRequest) -> StreamingHttpResponse:
    """Stream the whole audit trail as CSV (read-only evidence for auditors)."""
    writer = csv.writer(_Echo())
    header = ["timestamp", "action", "model", "object_pk", "object_repr", "actor", "changes"]

    def rows():
        yield writer.writerow(header)
        for entry in audit_entries().iterator(chunk_size=2000):
            yield writer.writerow(
                [
                    entry.timestamp.isoformat(),
                    entry.get_action_display(),
                    f"{entry.content_type.app_label}.{entry.content_type.model}",
                    entry.object_pk,
                    entry.object_repr,
                    entry.actor.get_username() if entry.actor_id else "",
                    json.dumps(entry.changes_dict, sort_keys=True),
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="tollgate-audit.csv"'
    return response
