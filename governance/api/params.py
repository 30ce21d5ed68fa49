"""Query parameters several read endpoints share."""

from rest_framework import serializers


class DateRangeSerializer(serializers.Serializer):
    """`from` and `to` as dates (both optional, both inclusive), in order."""

    to = serializers.DateField(required=False)

    def get_fields(self):
        # "from" is a Python keyword, so the field is declared under its query name here.
        fields = super().get_fields()
        fields["from"] = serializers.DateField(required=False)
        return fields

    def validate(self, attrs):
        if attrs.get("from") and attrs.get("to") and attrs["from"] > attrs["to"]:
            raise serializers.ValidationError({"to": "The end date is before the start date."})
        return attrs


def query(serializer_class: type[serializers.Serializer], params) -> dict:
    """Validate query parameters (a 400 naming each bad one) and return them."""
    given = serializer_class(data=params)
    given.is_valid(raise_exception=True)
    return given.validated_data
