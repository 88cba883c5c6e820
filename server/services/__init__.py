"""Service directory (palveluhakemisto): local and national services, one tap to call. (Referrals to them: server/referrals.)"""
