"""Client-data law (asiakastietolaki 703/2023): the use log, the disclosure log, the client's log
report, break-the-glass access and the retention purge."""
