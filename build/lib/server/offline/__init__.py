"""The phone side of Rinnalla: installable app, offline shell, and the sealed visit queue's keys."""
