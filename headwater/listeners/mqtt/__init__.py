"""The IoT device gateway: MQTT (plain, mutual TLS, ALPN, WebSocket) and HTTPS publish ports."""
