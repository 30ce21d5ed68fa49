"""The OpenAPI schema generator: drf-spectacular's, with request component names that read well."""

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's AutoSchema naming a request-only serializer once, not twice.

    With COMPONENT_SPLIT_REQUEST every request component gets a "Request" suffix, so a
    serializer named RoiRequestSerializer became "RoiRequestRequest" in the schema and in the
    classes of every generated client.
    """

    def get_serializer_name(self, serializer, direction) -> str:
        name = super().get_serializer_name(serializer, direction)
        if direction == "request" and name.endswith("RequestSerializer"):
            return name.removesuffix("RequestSerializer") + "Serializer"
        return name
