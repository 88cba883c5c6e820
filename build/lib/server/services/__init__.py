"""Service directory (palveluhakemisto) and referrals that are followed until the client got there."""
