"""API: one's own API tokens (administrators: everyone's) — list, create, revoke.

``GET /api/tokens/`` lists live tokens (never the token itself: only its identifier, its first
characters, its owner, when it was made and when it expires). ``POST`` makes one, returned once;
it needs a second-factor-verified session in sudo mode (a token cannot make tokens).
``DELETE /api/tokens/<id>/`` revokes one.
"""

from __future__ import annotations

from typing import Any

from django.urls import path
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core import security_events, sudo, tokens
from core.roles import Capability, user_can
from core.viewsets import DeclaredCapabilities


class TokenInfoSerializer(serializers.Serializer[Any]):
    id = serializers.CharField(max_length=tokens.ID_LENGTH, help_text="Identifier used to revoke the token.")
    owner = serializers.CharField(max_length=150)
    starts = serializers.CharField(max_length=6, help_text="The token's first characters, to recognise it.")
    created = serializers.DateTimeField()
    expiry = serializers.DateTimeField(allow_null=True)


class NewTokenSerializer(TokenInfoSerializer):
    token = serializers.CharField(max_length=200, help_text="Shown once: send it as 'Authorization: Bearer <token>'.")


class TokenListView(DeclaredCapabilities, APIView):
    permission_classes = [IsAuthenticated]
    # Everyone signed in may make their own token (in a fresh browser session: SudoFresh below);
    # no role capability applies, so none is checked up front. The request takes no body.
    action_capabilities = {"post": None}

    def get_permissions(self) -> list[Any]:
        if self.request.method == "POST":
            return [IsAuthenticated(), sudo.SudoFresh()]
        return super().get_permissions()

    @extend_schema(
        summary="List live API tokens (one's own; every token for an administrator)",
        responses={200: TokenInfoSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        rows = tokens.all_tokens() if user_can(request.user, Capability.ADMIN) else tokens.tokens_of(request.user)
        return Response(TokenInfoSerializer(rows, many=True).data)

    @extend_schema(
        summary="Make an API token (shown once; needs a recent sign-in in a browser session)",
        request=None,
        responses={201: NewTokenSerializer},
    )
    def post(self, request: Request) -> Response:
        row, token = tokens.create(request.user)
        security_events.record("authn_token_created", user=request.user, request=request)
        info = next(t for t in tokens.tokens_of(request.user) if t.id == row.digest[: tokens.ID_LENGTH])
        data = {**TokenInfoSerializer(info).data, "token": token}
        return Response(data, status=status.HTTP_201_CREATED)


class TokenDetailView(DeclaredCapabilities, APIView):
    permission_classes = [IsAuthenticated]
    # Anyone may revoke their own tokens, an administrator anyone's: the object rule is
    # ``tokens.revoke``'s (someone else's token is simply not found), not a role capability.
    action_capabilities = {"delete": None}

    @extend_schema(summary="Revoke an API token", responses={204: OpenApiResponse(description="Revoked")})
    def delete(self, request: Request, token_id: str) -> Response:
        revoked = tokens.revoke(token_id, by=request.user, any_owner=user_can(request.user, Capability.ADMIN))
        if not revoked:
            return Response({"detail": "Not found.", "code": "not_found"}, status=status.HTTP_404_NOT_FOUND)
        security_events.record("authn_token_revoked", user=request.user, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


urlpatterns = [
    path("", TokenListView.as_view(), name="api-token-list"),
    path("<str:token_id>/", TokenDetailView.as_view(), name="api-token-detail"),
]
