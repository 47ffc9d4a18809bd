"""PostgreSQL topology in the lab.

WAL archive and base backups (``walarchive``), the streaming replica
(``replica``), the takeover on failover (``takeover``), a point-in-time restore
(``pitrrestore``), and client tools run in the database container (``dbexec``).
"""
