"""The pair's own rhythm: debriefs (purku), work supervision (työnohjaus), and the experience
expert's hours and fees (palkkio)."""
