"""The thing registry of the `iot` API: things, thing types, static thing groups, billing groups,
principal attachments, tags and registry events (the `ThingDirectory` the authorizer reads)."""
