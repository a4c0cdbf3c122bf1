"""The JSON API of API.md: device tokens, sync pull and push, photos, the OpenAPI document."""
