"""The signed-in user, as the API sees them."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from governance.selectors.users import user_profile


class MeSerializer(serializers.Serializer):
    """Who the caller is and what their roles let them do."""

    username = serializers.CharField()
    full_name = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())
    is_superuser = serializers.BooleanField()
    permissions = serializers.ListField(child=serializers.CharField())


class MeView(APIView):
    """The caller's identity and roles, so a client can tell what it may do."""

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        return Response(MeSerializer(user_profile(user=request.user)).data)
