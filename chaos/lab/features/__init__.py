"""The lab's built-in features, one module each (the contract: ``chaos.lab.feature``).

Importing this package registers them, in the order their hooks run: the fault
proxy, the small disk, WAL archiving, the replica, the observability stack.
"""

from chaos.lab.features.dbdisk import SmallDisk
from chaos.lab.features.dbproxy import FaultProxy
from chaos.lab.features.observestack import ObserveStack
from chaos.lab.features.replication import Replica
from chaos.lab.features.walarchiving import WalArchive

__all__ = ["FaultProxy", "ObserveStack", "Replica", "SmallDisk", "WalArchive"]
