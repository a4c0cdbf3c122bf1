"""The installable app: manifest, service worker, the offline shell and the QR scanner."""
