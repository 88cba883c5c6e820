"""Web Push: VAPID keys, the phones' subscriptions, reminder rules, the outbox and its dispatcher."""
