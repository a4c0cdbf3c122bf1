"""The JSON API: device tokens, sync pull and push, photos, the OpenAPI document."""
