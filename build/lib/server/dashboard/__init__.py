"""The team lead's dashboard: caseloads against the team's target, releases, overdue work, contacts."""
